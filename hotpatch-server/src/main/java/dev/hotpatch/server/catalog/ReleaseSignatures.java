package dev.hotpatch.server.catalog;

import dev.hotpatch.format.CertificateFingerprint;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.ReleaseDescriptor;
import dev.hotpatch.format.TrustStore;
import dev.hotpatch.server.ServerException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Checks the signed release descriptor that must come with every baseline and restart update:
 * signed intact by a publisher in the server's trust folder (re-read at every check, so adding or
 * removing a certificate takes effect at once), and describing exactly what was uploaded: the same
 * image, version or KB id, kind, and the same files by SHA-256 and size. Refusals name the signer's
 * certificate fingerprint. Thread-safe (stateless but for the folder path).
 */
final class ReleaseSignatures {
    /** A descriptor that passed, with what the catalog records of it. */
    record Verified(ReleaseDescriptor descriptor, Publishing.Upload file, String signer, String certificateSha256) {
    }

    private final Path trustDir;

    ReleaseSignatures(Path trustDir) {
        this.trustDir = trustDir;
    }

    /** Verifies {@code upload} as the descriptor of {@code what} ({@code baseline 1.0 of acme/fees/1.x}); null upload is refused. */
    Verified verify(Publishing.Upload upload, String what, String kindOfRelease) {
        if (upload == null) {
            throw new ServerException.Refused("unsigned-release", what + " comes without a signed release descriptor; "
                    + kindOfRelease + "s must be signed by a trusted publisher, like hotpatches",
                    "sign it with the publisher's key: 'hotpatch " + ("baseline".equals(kindOfRelease) ? "baseline" : "update")
                            + " publish --key DIR …' (or 'hotpatch " + ("baseline".equals(kindOfRelease) ? "baseline" : "update")
                            + " sign' where the key is, then --descriptor FILE); over REST send it as the multipart part 'descriptor'");
        }
        TrustStore trust;
        try {
            trust = TrustStore.fromDirectory(trustDir);
        } catch (PackageException e) {
            throw new ServerException.Refused("no-trusted-publisher", "the server trusts no publisher yet: " + e.getMessage(),
                    "copy the publisher's signer.crt into " + trustDir + " on the server");
        }
        ReleaseDescriptor d;
        try {
            d = ReleaseDescriptor.read(upload.file(), trust);
        } catch (PackageException e) {
            String code = switch (e.reason()) {
                case UNSIGNED -> "unsigned-release";
                case TAMPERED -> "tampered-release";
                case UNTRUSTED -> "untrusted-release";
                default -> "malformed-release";
            };
            throw new ServerException.Refused(code, "the release descriptor of " + what + " was refused: " + e.getMessage(),
                    e.reason() == PackageException.Reason.UNTRUSTED
                            ? "if you trust that publisher, compare the fingerprint with its signer.crt ('keytool -printcert -file signer.crt')"
                            + " and copy the certificate into " + trustDir + "; otherwise sign with a trusted publisher's key"
                            : "sign the release again with 'hotpatch " + kindOfRelease + " sign --key DIR' and upload that descriptor unchanged",
                    e);
        }
        return new Verified(d, upload, d.signerNames(), CertificateFingerprint.hex(d.signers().get(0)));
    }

    /** Refuses unless {@code d} describes baseline {@code version} ({@code kind}) of {@code image} with exactly {@code jars}. */
    static void matchBaseline(Verified v, String image, String version, String kind, String kbId, List<Publishing.Upload> jars) {
        ReleaseDescriptor d = v.descriptor();
        List<String> wrong = new ArrayList<>();
        if (d.type() != ReleaseDescriptor.Type.BASELINE) {
            wrong.add("it describes " + d.describe() + ", not a baseline");
        }
        same(wrong, "image", d.image(), image);
        same(wrong, "version", d.version(), version);
        same(wrong, "kind", d.kind(), kind);
        if (kbId != null || d.kbId() != null) {
            same(wrong, "KB id", d.kbId(), kbId);
        }
        matchFiles(wrong, d, jars, "jar");
        refuseIf(wrong, v, "baseline " + version + " of " + image);
    }

    /** Refuses unless {@code d} describes restart update {@code kb} of {@code image} with {@code reboot} and exactly {@code artifact}. */
    static void matchUpdate(Verified v, String image, String kb, String reboot, Publishing.Upload artifact) {
        ReleaseDescriptor d = v.descriptor();
        List<String> wrong = new ArrayList<>();
        if (d.type() != ReleaseDescriptor.Type.UPDATE) {
            wrong.add("it describes " + d.describe() + ", not a restart update");
        }
        same(wrong, "image", d.image(), image);
        same(wrong, "KB id", d.kbId(), kb);
        same(wrong, "reboot behavior", d.rebootBehavior().label(), reboot);
        matchFiles(wrong, d, artifact == null ? List.of() : List.of(artifact), "artifact");
        refuseIf(wrong, v, "update " + kb + " for " + image);
    }

    private static void matchFiles(List<String> wrong, ReleaseDescriptor d, List<Publishing.Upload> uploads, String noun) {
        for (Publishing.Upload u : uploads) {
            var entry = d.fileWithSha256(u.sha256());
            if (entry.isEmpty()) {
                wrong.add(noun + " " + u.fileName() + " (SHA-256 " + u.sha256() + ") is not one the publisher signed");
            } else if (entry.get().size() != u.size()) {
                wrong.add(noun + " " + u.fileName() + " has " + u.size() + " bytes, the signed one " + entry.get().size());
            }
        }
        for (ReleaseDescriptor.FileEntry f : d.files()) {
            if (uploads.stream().noneMatch(u -> u.sha256().equalsIgnoreCase(f.sha256()))) {
                wrong.add("the signed " + noun + " " + f.name() + " (SHA-256 " + f.sha256() + ") was not uploaded");
            }
        }
    }

    private static void same(List<String> wrong, String field, String signed, String given) {
        if (!Objects.equals(signed, given)) {
            wrong.add(field + " is '" + given + "' here but '" + signed + "' in the signed descriptor");
        }
    }

    private static void refuseIf(List<String> wrong, Verified v, String what) {
        if (!wrong.isEmpty()) {
            throw new ServerException.Refused("release-mismatch", "the signed descriptor does not match " + what + ": "
                    + String.join("; ", wrong) + " (signed by '" + v.signer() + "', certificate "
                    + CertificateFingerprint.of(v.descriptor().signers().get(0)) + ")",
                    "upload exactly the files the publisher signed, with the descriptor's image, version, kind and KB id;"
                            + " or sign the release again");
        }
    }
}
