package dev.hotpatch.agent;

import dev.hotpatch.format.PackageManifest;
import java.time.Instant;

/**
 * A persisted hotpatch that is not live in this JVM, and why: {@code quarantined} (the JVM died
 * during its probation; kept until an operator clears it), {@code revoked} (its signer is no longer
 * in the trust folder) or {@code unrestored} (its stored package or the trust folder could not be
 * read). It stays in the state folder so that it is reported, never silently dropped. Immutable.
 */
final class Held {
    static final String QUARANTINED = "quarantined";
    static final String REVOKED = "revoked";
    static final String UNRESTORED = "unrestored";

    final StateStore.Record record;
    /** Null when the stored package could not be read at all. */
    final PackageManifest manifest;
    final String state;
    final Instant since;
    final String reason;

    Held(StateStore.Record record, PackageManifest manifest, String state, Instant since, String reason) {
        this.record = record;
        this.manifest = manifest;
        this.state = state;
        this.since = since;
        this.reason = reason;
    }

    String id() {
        return record.id;
    }

    /** Whether {@code list} shows it as a package (the contract's states); an unrestored one is reported as a problem only. */
    boolean listed() {
        return manifest != null && !state.equals(UNRESTORED);
    }
}
