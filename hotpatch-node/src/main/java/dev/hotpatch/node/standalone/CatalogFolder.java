package dev.hotpatch.node.standalone;

import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.TrustStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The folder of {@code .hotpatch} packages standalone mode installs from, each package read and
 * verified against a trust folder. Verifications are cached by (file, size, modification time,
 * trust folder) so an unchanged folder costs a directory listing per cycle. Not thread-safe.
 */
final class CatalogFolder {
    private final Path dir;
    private final Map<Key, Listed> cache = new HashMap<>();

    private record Key(Path file, long size, FileTime modified, Path trust) {
    }

    /**
     * One package file: verified ({@code pkg} set), or refused ({@code refusal} says why).
     *
     * @param file    the package file
     * @param pkg     the verified package; null when refused
     * @param refusal why it was refused; null when verified
     */
    record Listed(Path file, HotpatchPackage pkg, String refusal) {
    }

    CatalogFolder(Path dir) {
        this.dir = dir;
    }

    /** Every {@code *.hotpatch} file in the folder, sorted by name, verified against {@code trust}. */
    List<Listed> list(Path trust) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.hotpatch")) {
            for (Path f : ds) {
                if (Files.isRegularFile(f)) {
                    files.add(f);
                }
            }
        }
        files.sort(null);
        List<Listed> out = new ArrayList<>();
        for (Path f : files) {
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            Key k = new Key(f, a.size(), a.lastModifiedTime(), trust);
            out.add(cache.computeIfAbsent(k, x -> verify(f, trust)));
        }
        return out;
    }

    private static Listed verify(Path f, Path trust) {
        try {
            return new Listed(f, HotpatchPackage.read(f, TrustStore.fromDirectory(trust)), null);
        } catch (PackageException e) {
            return new Listed(f, null, e.getMessage());
        }
    }

    Path dir() {
        return dir;
    }
}
