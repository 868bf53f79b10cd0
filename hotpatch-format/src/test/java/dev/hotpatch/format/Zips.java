package dev.hotpatch.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import jdk.security.jarsigner.JarSigner;

/**
 * Crafting zip files the way an attacker would: re-zipping a signed package with edited entries,
 * signing arbitrary content, and writing raw zip records whose declared sizes lie.
 */
final class Zips {
    private Zips() {
    }

    /** Entries of a zip in file order, name to content. */
    static Map<String, byte[]> entries(Path zip) {
        return entries(zip, name -> true);
    }

    /** The entries of a zip whose names pass {@code which}, in file order, name to content. */
    static Map<String, byte[]> entries(Path zip, java.util.function.Predicate<String> which) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> en = z.entries();
            while (en.hasMoreElements()) {
                ZipEntry e = en.nextElement();
                if (!which.test(e.getName())) {
                    continue;
                }
                try (InputStream in = z.getInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The zip file's comment, null when it has none. */
    static String comment(Path zip) {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            return z.getComment();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code entries} as a deflated zip, in map order. */
    static Path write(Path out, Map<String, byte[]> entries) {
        return write(out, entries, null);
    }

    /** Writes {@code entries} as a deflated zip, in map order, with the zip file comment {@code comment} (none when null). */
    static Path write(Path out, Map<String, byte[]> entries, String comment) {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(out))) {
            if (comment != null) {
                z.setComment(comment);
            }
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Re-zips {@code in} to {@code out} after {@code edit} changed its entries; signature files are kept as they are. */
    static Path rewrite(Path in, Path out, UnaryOperator<Map<String, byte[]>> edit) {
        return write(out, edit.apply(entries(in)));
    }

    /**
     * Re-zips {@code in} to {@code out} after {@code edit} changed its entries, and copies its zip
     * comment (the manifest signature) onto the new file, as an attacker editing content would.
     */
    static Path rewriteKeepingComment(Path in, Path out, UnaryOperator<Map<String, byte[]>> edit) {
        return write(out, edit.apply(entries(in)), comment(in));
    }

    /** Signs the zip {@code unsigned} with {@code key} exactly as {@link PackageWriter} does, whatever it holds. */
    static Path sign(Path unsigned, SigningKey key, Path out) {
        try {
            JarSigner signer = new JarSigner.Builder(key.privateKey(),
                    CertificateFactory.getInstance("X.509").generateCertPath(key.chain()))
                    .digestAlgorithm("SHA-256")
                    .signerName("HOTPATCH")
                    .build();
            try (ZipFile zip = new ZipFile(unsigned.toFile()); OutputStream os = Files.newOutputStream(out)) {
                signer.sign(zip, os);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Zips {@code entries} to a temporary file next to {@code out} and signs it with {@code key}. */
    static Path writeSigned(Path out, Map<String, byte[]> entries, SigningKey key) {
        Path unsigned = out.resolveSibling(out.getFileName() + ".unsigned.zip");
        write(unsigned, entries);
        return sign(unsigned, key, out);
    }

    /**
     * A raw deflate stream that inflates to {@code megabytes} MiB of zeros while staying about a
     * thousand times smaller: one full-flushed block of 1 MiB of zeros, repeated, then an empty final block.
     */
    static byte[] deflatedZeros(int megabytes) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        d.setInput(new byte[1 << 20]);
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        int n;
        do {
            n = d.deflate(buf, 0, buf.length, Deflater.FULL_FLUSH);
            block.write(buf, 0, n);
        } while (n == buf.length || !d.needsInput());
        d.end();
        byte[] one = block.toByteArray();
        ByteArrayOutputStream all = new ByteArrayOutputStream(one.length * megabytes + 2);
        for (int i = 0; i < megabytes; i++) {
            all.write(one, 0, one.length);
        }
        all.write(0x03); // final fixed-Huffman block holding only end-of-block
        all.write(0x00);
        return all.toByteArray();
    }

    /** One record of a raw zip: the bytes stored in the file and what the headers claim about them. */
    static final class RawEntry {
        final String name;
        final boolean deflated;
        final byte[] data;
        final long declaredSize;
        final long crc;

        private RawEntry(String name, boolean deflated, byte[] data, long declaredSize, long crc) {
            this.name = name;
            this.deflated = deflated;
            this.data = data;
            this.declaredSize = declaredSize;
            this.crc = crc;
        }

        /** A stored (uncompressed) entry with truthful headers. */
        static RawEntry stored(String name, byte[] content) {
            CRC32 crc = new CRC32();
            crc.update(content);
            return new RawEntry(name, false, content, content.length, crc.getValue());
        }

        /**
         * A stored entry whose data has byte {@code at} flipped while its headers keep the CRC-32 of
         * {@code content}: damage only a CRC check notices.
         */
        static RawEntry damaged(String name, byte[] content, int at) {
            RawEntry good = stored(name, content);
            byte[] data = content.clone();
            data[at] ^= 0x20;
            return new RawEntry(name, false, data, data.length, good.crc);
        }

        /** A deflated entry whose headers claim it inflates to {@code declaredSize} bytes (the JDK's zip reader does not check the CRC). */
        static RawEntry deflated(String name, byte[] rawDeflate, long declaredSize) {
            return new RawEntry(name, true, rawDeflate, declaredSize, 0);
        }
    }

    /** Writes a zip record by record; duplicate names and lying sizes are written as given. */
    static Path writeRaw(Path out, List<RawEntry> entries) {
        return writeRaw(out, entries, null);
    }

    /**
     * {@link #writeRaw(Path, List)} with the zip file comment {@code comment} (none when null), one
     * byte per char (ISO-8859-1), so that a comment can hold bytes that are not UTF-8.
     */
    static Path writeRaw(Path out, List<RawEntry> entries, String comment) {
        byte[] commentBytes = comment == null ? new byte[0] : comment.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        for (RawEntry e : entries) {
            byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
            int offset = file.size();
            ByteBuffer local = le(30 + name.length);
            local.putInt(0x04034b50).putShort((short) 20).putShort((short) 0x0800)
                    .putShort((short) (e.deflated ? 8 : 0)).putShort((short) 0).putShort((short) 0x21)
                    .putInt((int) e.crc).putInt(e.data.length).putInt((int) e.declaredSize)
                    .putShort((short) name.length).putShort((short) 0).put(name);
            file.write(local.array(), 0, local.position());
            file.write(e.data, 0, e.data.length);
            ByteBuffer cen = le(46 + name.length);
            cen.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0x0800)
                    .putShort((short) (e.deflated ? 8 : 0)).putShort((short) 0).putShort((short) 0x21)
                    .putInt((int) e.crc).putInt(e.data.length).putInt((int) e.declaredSize)
                    .putShort((short) name.length).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putInt(0).putInt(offset).put(name);
            central.write(cen.array(), 0, cen.position());
        }
        int cenOffset = file.size();
        file.write(central.toByteArray(), 0, central.size());
        ByteBuffer end = le(22);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
                .putShort((short) entries.size()).putShort((short) entries.size())
                .putInt(central.size()).putInt(cenOffset).putShort((short) commentBytes.length);
        file.write(end.array(), 0, end.position());
        file.write(commentBytes, 0, commentBytes.length);
        try {
            Files.write(out, file.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
