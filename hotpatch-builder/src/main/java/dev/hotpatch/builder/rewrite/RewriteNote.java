package dev.hotpatch.builder.rewrite;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.Attribute;
import org.objectweb.asm.ByteVector;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.Opcodes;

/**
 * The builder's verdicts, carried inside a rewritten class file as a class attribute named
 * {@value #NAME}, so that {@code hotpatch inspect} can show them from the signed package alone.
 * The JVM ignores attributes it does not know (JVMS 4.7.1), and redefinition does not compare
 * them. Content: UTF-8 lines of {@code kind TAB member TAB detail}.
 */
public final class RewriteNote extends Attribute {
    /** The attribute's name in the class file. */
    public static final String NAME = "dev.hotpatch.Rewrite";
    private static final int MAX_BYTES = 1 << 20;

    private final byte[] text;

    RewriteNote(byte[] text) {
        super(NAME);
        this.text = text;
    }

    static RewriteNote of(List<Verdict> verdicts) {
        StringBuilder b = new StringBuilder();
        for (Verdict v : verdicts) {
            b.append(v.kind().key()).append('\t').append(clean(v.member())).append('\t').append(clean(v.detail())).append('\n');
        }
        byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_BYTES) {
            bytes = ("kept\t\t" + verdicts.size() + " verdicts (too many to record)\n").getBytes(StandardCharsets.UTF_8);
        }
        return new RewriteNote(bytes);
    }

    private static String clean(String s) {
        return s.replace('\t', ' ').replace('\n', ' ');
    }

    @Override
    protected Attribute read(ClassReader reader, int offset, int length, char[] buffer, int codeOffset, Label[] labels) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) reader.readByte(offset + i);
        }
        return new RewriteNote(b);
    }

    @Override
    protected ByteVector write(ClassWriter writer, byte[] code, int len, int maxStack, int maxLocals) {
        return new ByteVector(text.length).putByteArray(text, 0, text.length);
    }

    /**
     * The verdicts recorded in a class file: empty when the class was redefined as is (it carries
     * no note), or when the bytes are not a readable class file.
     */
    public static List<Verdict> read(byte[] classFile) {
        List<Verdict> out = new ArrayList<>();
        try {
            ClassReader r = new ClassReader(classFile);
            String name = r.getClassName();
            r.accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public void visitAttribute(Attribute a) {
                    if (a instanceof RewriteNote) {
                        for (String line : new String(((RewriteNote) a).text, StandardCharsets.UTF_8).split("\n")) {
                            String[] f = line.split("\t", -1);
                            if (f.length == 3) {
                                try {
                                    out.add(new Verdict(name, f[1], Verdict.Kind.ofKey(f[0]), f[2]));
                                } catch (IllegalArgumentException e) {
                                    // a kind this version does not know: leave the line out
                                }
                            }
                        }
                    }
                }
            }, new Attribute[] {new RewriteNote(new byte[0])}, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        } catch (RuntimeException e) {
            return List.of();
        }
        return out;
    }
}
