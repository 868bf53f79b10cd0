package dev.hotpatch.node.command;

import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.ReleaseDescriptor;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.TrustStore;
import dev.hotpatch.node.internal.PrivateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The node's own check of a baseline or restart update before any file of a machine is replaced:
 * the command must name the publisher's signed release descriptor, which the node downloads and
 * verifies against its own trust folder (not the server's word), and which must describe exactly
 * the release the command installs: the same version or KB id and the same files by SHA-256 and
 * size. The jars the node then downloads are checked against those hashes. Stateless.
 */
final class SignedRelease {
    private SignedRelease() {
    }

    /**
     * Verifies {@code a}'s descriptor, downloaded with {@code downloads} into {@code folder}; returns
     * why {@code a} must not be installed, or null when it may.
     */
    static String problem(Action.InstallBaseline a, Optional<Path> trust, Downloads downloads, Path folder, String machine) {
        if (a.descriptor() == null) {
            return a.what() + " comes without the publisher's signed release descriptor, and this node installs only signed"
                    + " baselines and updates (the server has not been upgraded, or the release was published before releases"
                    + " were signed: a publisher attaches a descriptor with 'hotpatch baseline sign --attach')";
        }
        if (trust.isEmpty()) {
            return "no trust folder is configured for machine " + machine + ", so the signature of " + a.what()
                    + " cannot be verified; set node.trust (or machine." + machine + ".trust) to the folder holding the publisher's certificate";
        }
        Path file = folder.resolve("release.descriptor");
        try {
            Path tmp = PrivateFiles.createTemp(folder, ".descriptor-");
            try {
                downloads.fetch(a.descriptor().source(), tmp);
                if (a.descriptor().sha256() != null && !a.descriptor().sha256().equalsIgnoreCase(Sha256.hex(tmp))) {
                    return "the release descriptor of " + a.what() + " from " + a.descriptor().source() + " does not have the SHA-256 the"
                            + " server named; it was damaged or tampered with in transit";
                }
                PrivateFiles.move(tmp, file);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            return "cannot download the release descriptor of " + a.what() + " from " + a.descriptor().source() + ": " + e.getMessage();
        }
        ReleaseDescriptor d;
        try {
            d = ReleaseDescriptor.read(file, TrustStore.fromDirectory(trust.get()));
        } catch (PackageException e) {
            return "the release descriptor of " + a.what() + " failed verification on the node: " + e.getMessage();
        }
        List<String> wrong = new ArrayList<>();
        if (a.baselineId() != null) {
            if (d.type() != ReleaseDescriptor.Type.BASELINE) {
                wrong.add("it describes " + d.describe());
            } else if (a.version() != null && !a.version().equals(d.version())) {
                wrong.add("it is signed for version " + d.version() + ", the command installs " + a.version());
            }
        } else if (d.type() != ReleaseDescriptor.Type.UPDATE || !Objects.equals(d.kbId(), a.kbId())) {
            wrong.add("it describes " + d.describe() + ", the command installs " + a.what());
        }
        for (Artifact art : a.jars()) {
            if (art.sha256() == null || d.fileWithSha256(art.sha256()).isEmpty()) {
                wrong.add(art.fileName() + " (SHA-256 " + art.sha256() + ") is not a file the publisher signed");
            }
        }
        if (d.files().size() != a.jars().size()) {
            wrong.add("the publisher signed " + d.files().size() + " file(s), the command brings " + a.jars().size());
        }
        if (!wrong.isEmpty()) {
            return "the signed release descriptor (by '" + d.signerNames() + "', " + d.signerFingerprint() + ") does not match "
                    + a.what() + ": " + String.join("; ", wrong);
        }
        return null;
    }
}
