package dev.hotpatch.agent;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Sha256;
import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Patches classes that load after a hotpatch was applied, in any class loader: when a class's
 * defining bytes hash to a baseline some active hotpatch replaces, it returns the hotpatch's bytes.
 * Bytes that match no baseline are left alone (with a note on stderr), never guessed at. Before it
 * hands back a replacement, it defines into the same loader the classes that hotpatch adds to the
 * class's package ({@link AddedClasses}), unless they are there already; if they cannot be defined
 * the class loads unpatched, with a note on stderr, since the replaced code would fail without them.
 *
 * <p>It also tells the {@link CodeSourceLedger} where each class comes from, so that a jar that
 * changes later is noticed. It reads an immutable plan that the engine swaps atomically, so class
 * loading never waits for an operation in progress. Redefinitions are the engine's own business
 * and are passed through.
 */
final class PatchTransformer implements ClassFileTransformer {
    private final LoadedClasses loaded;
    private final CodeSourceLedger ledger;
    private final AddedClasses added;
    /** internal class name → (baseline SHA-256 → replacement). */
    private volatile Map<String, Map<String, Replacement>> plan = Collections.emptyMap();

    /** The bytes that replace a baseline, and the added classes the replaced code may use. */
    static final class Replacement {
        final byte[] bytes;
        final List<ClassPatch> added;

        Replacement(byte[] bytes, List<ClassPatch> added) {
            this.bytes = bytes;
            this.added = added;
        }
    }

    PatchTransformer(LoadedClasses loaded, CodeSourceLedger ledger, AddedClasses added) {
        this.loaded = loaded;
        this.ledger = ledger;
        this.added = added;
    }

    void plan(Map<String, Map<String, Replacement>> newPlan) {
        this.plan = newPlan;
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (classBeingRedefined != null || className == null) {
            return null;
        }
        ledger.loaded(protectionDomain);
        Map<String, Replacement> forClass = plan.get(className);
        if (forClass == null) {
            return null;
        }
        try {
            String sha = Sha256.hex(classfileBuffer);
            Replacement replacement = forClass.get(sha);
            if (replacement == null) {
                System.err.println("[hotpatch] " + className + " loading in " + LoadedClasses.describe(loader)
                        + " has bytes " + sha + ", which no installed hotpatch expects; left unpatched");
                return null;
            }
            if (!replacement.added.isEmpty()) {
                try {
                    added.defineWhileLoading(loader, protectionDomain, replacement.added, className);
                } catch (Refusal e) {
                    System.err.println("[hotpatch] " + className + " loading in " + LoadedClasses.describe(loader)
                            + " left unpatched: " + e.getMessage());
                    return null;
                }
            }
            loaded.remember(classfileBuffer);
            loaded.record(loader, className, sha, Sha256.hex(replacement.bytes));
            return replacement.bytes.clone();
        } catch (RuntimeException e) {
            // A transformer must never break class loading: leave the class as defined.
            System.err.println("[hotpatch] could not patch " + className + " at load: " + e);
            return null;
        }
    }
}
