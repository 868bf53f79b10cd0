package dev.hotpatch.agent;

import dev.hotpatch.format.Sha256;
import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.Collections;
import java.util.Map;

/**
 * Patches classes that load after a hotpatch was applied, in any class loader: when a class's
 * defining bytes hash to a baseline some active hotpatch replaces, it returns the hotpatch's bytes.
 * Bytes that match no baseline are left alone (with a note on stderr), never guessed at.
 *
 * <p>It also tells the {@link CodeSourceLedger} where each class comes from, so that a jar that
 * changes later is noticed. It reads an immutable plan that the engine swaps atomically, so class
 * loading never waits for an operation in progress. Redefinitions are the engine's own business
 * and are passed through.
 */
final class PatchTransformer implements ClassFileTransformer {
    private final LoadedClasses loaded;
    private final CodeSourceLedger ledger;
    /** internal class name → (baseline SHA-256 → replacement bytes). */
    private volatile Map<String, Map<String, byte[]>> plan = Collections.emptyMap();

    PatchTransformer(LoadedClasses loaded, CodeSourceLedger ledger) {
        this.loaded = loaded;
        this.ledger = ledger;
    }

    void plan(Map<String, Map<String, byte[]>> newPlan) {
        this.plan = newPlan;
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (classBeingRedefined != null || className == null) {
            return null;
        }
        ledger.loaded(protectionDomain);
        Map<String, byte[]> forClass = plan.get(className);
        if (forClass == null) {
            return null;
        }
        try {
            String sha = Sha256.hex(classfileBuffer);
            byte[] replacement = forClass.get(sha);
            if (replacement == null) {
                System.err.println("[hotpatch] " + className + " loading in " + LoadedClasses.describe(loader)
                        + " has bytes " + sha + ", which no installed hotpatch expects; left unpatched");
                return null;
            }
            loaded.remember(classfileBuffer);
            loaded.record(loader, className, sha, Sha256.hex(replacement));
            return replacement.clone();
        } catch (RuntimeException e) {
            // A transformer must never break class loading: leave the class as defined.
            System.err.println("[hotpatch] could not patch " + className + " at load: " + e);
            return null;
        }
    }
}
