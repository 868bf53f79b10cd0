package dev.hotpatch.agent;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The names a class file declares about itself: its own name, its superclass, its interfaces and
 * its {@code public static void m()} methods, read without any bytecode library (the agent loads
 * nothing third-party). The agent needs them to define added classes supertypes first and to
 * check a fix-up class's hooks before it changes anything. Immutable.
 */
final class ClassHeader {
    final String name;
    /** Internal name of the superclass; null for {@code java/lang/Object} itself. */
    final String superName;
    final List<String> interfaces;
    /** Names of the methods declared {@code public static} with descriptor {@code ()V}. */
    final List<String> publicStaticVoidMethods;

    private ClassHeader(String name, String superName, List<String> interfaces, List<String> publicStaticVoidMethods) {
        this.name = name;
        this.superName = superName;
        this.interfaces = interfaces;
        this.publicStaticVoidMethods = publicStaticVoidMethods;
    }

    /** Super and interfaces together. */
    List<String> supertypes() {
        List<String> out = new ArrayList<>(interfaces);
        if (superName != null) {
            out.add(0, superName);
        }
        return out;
    }

    /**
     * Reads the header of a class file.
     *
     * @throws IllegalArgumentException when the bytes are not a class file this reader understands
     */
    static ClassHeader read(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != 0xCAFEBABE) {
                throw new IllegalArgumentException("not a class file (bad magic number)");
            }
            in.readUnsignedShort();
            in.readUnsignedShort();
            int count = in.readUnsignedShort();
            String[] utf8 = new String[count];
            int[] classNameIndex = new int[count];
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1:
                        utf8[i] = in.readUTF();
                        break;
                    case 7:
                        classNameIndex[i] = in.readUnsignedShort();
                        break;
                    case 8: case 16: case 19: case 20:
                        in.readUnsignedShort();
                        break;
                    case 15:
                        in.readUnsignedByte();
                        in.readUnsignedShort();
                        break;
                    case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18:
                        in.readInt();
                        break;
                    case 5: case 6:
                        in.readLong();
                        i++;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown constant pool tag " + tag + " at entry " + i);
                }
            }
            in.readUnsignedShort();
            String name = className(utf8, classNameIndex, in.readUnsignedShort());
            int superIndex = in.readUnsignedShort();
            String superName = superIndex == 0 ? null : className(utf8, classNameIndex, superIndex);
            int n = in.readUnsignedShort();
            List<String> interfaces = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                interfaces.add(className(utf8, classNameIndex, in.readUnsignedShort()));
            }
            skipMembers(in);
            List<String> hooks = new ArrayList<>();
            int methods = in.readUnsignedShort();
            for (int i = 0; i < methods; i++) {
                int access = in.readUnsignedShort();
                String methodName = utf8[in.readUnsignedShort()];
                String descriptor = utf8[in.readUnsignedShort()];
                skipAttributes(in);
                if ((access & 0x0009) == 0x0009 && "()V".equals(descriptor)) {
                    hooks.add(methodName);
                }
            }
            return new ClassHeader(name, superName, Collections.unmodifiableList(interfaces), Collections.unmodifiableList(hooks));
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated or malformed class file: " + e, e);
        }
    }

    /** Skips the fields: access, name, descriptor, attributes. */
    private static void skipMembers(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        for (int i = 0; i < n; i++) {
            in.readUnsignedShort();
            in.readUnsignedShort();
            in.readUnsignedShort();
            skipAttributes(in);
        }
    }

    private static void skipAttributes(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        for (int i = 0; i < n; i++) {
            in.readUnsignedShort();
            int length = in.readInt();
            if (length < 0 || in.skipBytes(length) != length) {
                throw new IOException("attribute length " + Integer.toUnsignedString(length) + " runs past the end");
            }
        }
    }

    private static String className(String[] utf8, int[] classNameIndex, int index) {
        String s = index > 0 && index < classNameIndex.length ? utf8[classNameIndex[index]] : null;
        if (s == null) {
            throw new IllegalArgumentException("constant pool entry " + index + " is not a class name");
        }
        return s;
    }
}
