package dev.hotpatch.agent;

import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.TrustStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which publishers this agent trusts: the certificates in one trust folder, fixed for the JVM's
 * lifetime. The folder comes from the agent's configuration ({@code trust=} at enrolment, or the
 * options the tool passed when it loaded the agent); an agent started without one takes the folder
 * of the first successful apply and keeps it. A request that names another folder is refused, so
 * a process of the JVM's user cannot bring its own certificate along. The folder is read afresh
 * whenever it changed (see {@link #load}): removing a certificate from it revokes that publisher for
 * later applies and restarts.
 *
 * <p>Not thread-safe: the engine serialises calls.
 */
final class TrustPolicy {
    private Path folder;
    private String origin;
    private Path cachedFolder;
    private List<Object> cachedStamp;
    private TrustStore cached;

    TrustPolicy(Path configured, HotpatchAgent.Mode mode) {
        this.folder = configured;
        this.origin = mode == HotpatchAgent.Mode.ENROLLED ? "set by the agent option trust= when this JVM was enrolled"
                : "set by the tool that loaded the agent into this JVM";
    }

    /** The fixed trust folder, or null while none is fixed. */
    Path folder() {
        return folder;
    }

    /**
     * The trust a request is verified against.
     *
     * @param requested the folder the request names, or null
     * @throws Refusal when the request names another folder than the fixed one, or no folder is
     *                 known, or the folder is unusable (missing, unsafe, no certificate)
     */
    TrustStore forRequest(Path requested) {
        if (folder != null) {
            if (requested != null && !same(requested, folder)) {
                throw new Refusal("this agent verifies packages only against its trust folder " + folder + " (" + origin
                        + "); the request names " + requested + ". Nothing was changed. To trust that publisher, add its"
                        + " certificate to " + folder + "; to use another folder, restart the JVM enrolled with trust=<folder>");
            }
            return load(folder);
        }
        if (requested == null) {
            throw new Refusal("no trust folder is configured for this agent: pass --trust DIR, or start the JVM with"
                    + " -javaagent:...=trust=DIR");
        }
        return load(requested);
    }

    /** Fixes {@code requested} as the trust folder after the first successful apply, if none was fixed. */
    void accepted(Path requested) {
        if (folder == null && requested != null) {
            folder = requested;
            origin = "fixed by the first apply in this JVM's lifetime";
        }
    }

    /** The trust for re-verifying persisted packages at start-up; throws a Refusal saying why there is none. */
    TrustStore forRestore() {
        if (folder == null) {
            throw new Refusal("this agent has no trust folder (start the JVM with -javaagent:...=trust=DIR), so persisted"
                    + " hotpatches cannot be verified");
        }
        return load(folder);
    }

    /**
     * The trust store of {@code dir}: parsed and checked afresh whenever anything about the folder
     * may have changed, else the one parsed last time. "Changed" is judged by a stamp of the folder,
     * the folders above it and every entry in it (inode, owner, mode, size, modification and
     * change times, and the list of names), so adding, removing, replacing, chmod-ing or chown-ing
     * anything there re-runs every check. A stamp whose newest time is too recent to be told apart
     * from a change in the same clock tick is not trusted.
     */
    private TrustStore load(Path dir) {
        List<Object> stamp = TrustStamp.of(dir);
        if (stamp != null && stamp.equals(cachedStamp) && dir.equals(cachedFolder)) {
            return cached;
        }
        TrustStore t;
        try {
            t = TrustStore.fromDirectory(dir);
        } catch (PackageException e) {
            cached = null;
            cachedStamp = null;
            throw new Refusal(e.getMessage(), e);
        }
        cachedFolder = dir;
        cached = t;
        cachedStamp = stamp != null && TrustStamp.settled(stamp) ? stamp : null;
        return t;
    }

    /** Reads the fixed trust folder ahead of the first request, off the request path; failures are left for the request to report. */
    void warm() {
        if (folder != null) {
            try {
                load(folder);
            } catch (Refusal e) {
                // The request that needs the folder reports why it is unusable.
            }
        }
    }

    /** The certificates read by the last {@link #warm()}, or none. */
    List<java.security.cert.X509Certificate> warmCertificates() {
        return cached == null ? java.util.Collections.emptyList() : cached.certificates();
    }

    private static boolean same(Path a, Path b) {
        Path x = a.toAbsolutePath().normalize();
        Path y = b.toAbsolutePath().normalize();
        if (x.equals(y)) {
            return true;
        }
        try {
            return Files.exists(x) && Files.exists(y) && Files.isSameFile(x, y);
        } catch (IOException e) {
            return false;
        }
    }
}
