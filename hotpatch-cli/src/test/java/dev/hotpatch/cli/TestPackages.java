package dev.hotpatch.cli;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** Packages made with the format API for CLI tests: signed, unsigned and tampered. */
final class TestPackages {
    private TestPackages() {
    }

    static PackageManifest manifest(String id) throws IOException {
        byte[] bytes;
        try (InputStream in = TestPackages.class.getResourceAsStream("TestPackages.class")) {
            bytes = in.readAllBytes();
        }
        return PackageManifest.builder().id(id).title("Fee rounding fix").classification(Classification.SECURITY)
                .severity("Important").cves(java.util.List.of("CVE-2026-1234")).image("acme/fees/1.x")
                .published(Instant.parse("2026-01-14T00:00:00Z"))
                .addClass(ClassPatch.replace("acme/Fees", Sha256.hex("baseline".getBytes(StandardCharsets.UTF_8)), bytes))
                .build();
    }

    static Path signed(Path dir, String id, SigningKey key) throws IOException {
        Path out = dir.resolve(id + ".hotpatch");
        PackageWriter.write(manifest(id), key, out);
        return out;
    }

    static Path unsigned(Path dir, String id) throws IOException {
        Path out = dir.resolve(id + "-unsigned.hotpatch");
        PackageWriter.writeUnsigned(manifest(id), out);
        return out;
    }

    /** A copy of a signed package with one byte of its class changed and the signature kept. */
    static Path tampered(Path signed, Path dir) throws IOException {
        Path out = dir.resolve("tampered-" + signed.getFileName());
        try (ZipFile in = new ZipFile(signed.toFile()); ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(out))) {
            zos.setComment(in.getComment()); // the manifest signature: readers must still refuse the changed class
            Enumeration<? extends ZipEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                byte[] data;
                try (InputStream is = in.getInputStream(e)) {
                    data = is.readAllBytes();
                }
                if (e.getName().endsWith(".class")) {
                    data[data.length - 1] ^= 1;
                }
                zos.putNextEntry(new ZipEntry(e.getName()));
                zos.write(data);
                zos.closeEntry();
            }
        }
        return out;
    }
}
