package dev.hotpatch.agent;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageManifest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A hotpatch live in this JVM: the verified package, its record (when and by whom, probation),
 * and its classes by name. Immutable but for the record's probation and the fix-up's run, which
 * the engine changes under its lock.
 */
final class Installed {
    final HotpatchPackage pkg;
    final PackageManifest manifest;
    final StateStore.Record record;
    /** The classes it replaces, by name. */
    final Map<String, ClassPatch> classes = new LinkedHashMap<>();
    /** The classes it adds, by name. */
    final Map<String, ClassPatch> added = new LinkedHashMap<>();
    /** Per Java package, the added classes its replaced classes may use, supertypes first ({@link AddedClasses#forPackage}). */
    private final Map<String, List<ClassPatch>> addedByPackage = new HashMap<>();
    /** What became of its fix-up class in this JVM; null when it has none or it was not run yet. */
    Fixups.Run fixupRun;

    Installed(HotpatchPackage pkg, StateStore.Record record) {
        this.pkg = pkg;
        this.manifest = pkg.manifest();
        this.record = record;
        for (ClassPatch c : manifest.classes()) {
            (c.kind() == ClassPatch.Kind.ADDED ? added : classes).put(c.name(), c);
        }
    }

    /** The added classes a replaced class of {@code javaPackage} may use, supertypes first; empty when none. */
    synchronized List<ClassPatch> addedFor(String javaPackage) {
        if (added.isEmpty()) {
            return Collections.emptyList();
        }
        List<ClassPatch> known = addedByPackage.get(javaPackage);
        if (known == null) {
            known = AddedClasses.forPackage(added.values(), javaPackage);
            addedByPackage.put(javaPackage, known);
        }
        return known;
    }

    /** Its fix-up class (an added class), or null when it has none. */
    ClassPatch fixupClass() {
        return manifest.fixup().isEmpty() ? null : added.get(manifest.fixup());
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
