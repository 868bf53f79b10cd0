package dev.hotpatch.agent;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageManifest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A hotpatch live in this JVM: the verified package, its record (when and by whom, probation),
 * and its classes by name. Immutable but for the record's probation, which the engine changes
 * under its lock.
 */
final class Installed {
    final HotpatchPackage pkg;
    final PackageManifest manifest;
    final StateStore.Record record;
    final Map<String, ClassPatch> classes = new LinkedHashMap<>();

    Installed(HotpatchPackage pkg, StateStore.Record record) {
        this.pkg = pkg;
        this.manifest = pkg.manifest();
        this.record = record;
        for (ClassPatch c : manifest.classes()) {
            classes.put(c.name(), c);
        }
    }

    String id() {
        return manifest.id();
    }

    Path file() {
        return record.file;
    }

    Instant installedOn() {
        return record.installedOn;
    }

    /** This package's replacement for {@code internalName} over {@code baselineSha}, or null. */
    ClassPatch patchFor(String internalName, String baselineSha) {
        ClassPatch c = classes.get(internalName);
        return c != null && c.baselineSha256().equals(baselineSha) ? c : null;
    }
}
