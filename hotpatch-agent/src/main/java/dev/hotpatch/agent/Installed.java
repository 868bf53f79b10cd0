package dev.hotpatch.agent;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageManifest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** A hotpatch accepted into this JVM: the verified package, when and by whom, and its classes by name. Immutable. */
final class Installed {
    final HotpatchPackage pkg;
    final PackageManifest manifest;
    final Path file;
    final Instant installedOn;
    final String installedBy;
    final Map<String, ClassPatch> classes = new LinkedHashMap<>();

    Installed(HotpatchPackage pkg, Path file, Instant installedOn, String installedBy) {
        this.pkg = pkg;
        this.manifest = pkg.manifest();
        this.file = file;
        this.installedOn = installedOn;
        this.installedBy = installedBy;
        for (ClassPatch c : manifest.classes()) {
            classes.put(c.name(), c);
        }
    }

    String id() {
        return manifest.id();
    }

    /** This package's replacement for {@code internalName} over {@code baselineSha}, or null. */
    ClassPatch patchFor(String internalName, String baselineSha) {
        ClassPatch c = classes.get(internalName);
        return c != null && c.baselineSha256().equals(baselineSha) ? c : null;
    }
}
