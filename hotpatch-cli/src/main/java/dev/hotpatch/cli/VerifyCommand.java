package dev.hotpatch.cli;

import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.TrustStore;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hotpatch verify}: whether a package is signed, intact and from a trusted publisher. */
@Command(name = "verify", description = {
        "Check a package's signature against trusted publishers.",
        "Checks that a package is signed, intact, and signed by a certificate in the trust folder, and prints the " +
                "signer's certificate fingerprint (SHA-256), which tells keys with the same subject apart.",
        "The trust folder and its certificates must belong to you or root and be writable by nobody else.",
        "Exit code 0 when it is, 3 when it is refused (unsigned, tampered, untrusted, unsafe trust folder, malformed)."})
final class VerifyCommand extends HotpatchCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "The .hotpatch package.")
    Path file;

    @Option(names = "--trust", required = true, paramLabel = "DIR",
            description = "Folder of trusted publisher certificates (*.crt, *.pem, *.cer), e.g. a keygen folder.")
    Path trust;

    @Override
    public Integer call() {
        Path pkgFile = existingFile(file, "package");
        HotpatchPackage pkg = HotpatchPackage.read(pkgFile, trustStore(this, trust));
        if (json()) {
            var doc = Json.status("ok").put("file", pkgFile.toString()).put("id", pkg.manifest().id())
                    .put("sha256", pkg.sha256()).put("signers", pkg.signerNames()).put("trusted", true)
                    .put("signatureChecked", pkg.checkedSignature());
            doc.set("signerCertificates", InspectCommand.signersJson(pkg));
            printJson(doc);
        } else {
            out().println("Verified " + pkg.manifest().id() + ": signed by " + pkg.signerDescriptions()
                    + " (trusted), intact (" + pkg.checkedSignature() + "); " + pkg.manifest().classes().size()
                    + (pkg.manifest().classes().size() == 1 ? " class." : " classes."));
        }
        return ExitPolicy.OK;
    }

    /** The trust folder's certificates; a missing or empty folder is a usage error. */
    static TrustStore trustStore(HotpatchCommand cmd, Path dir) {
        Path folder = cmd.existingFolder(dir, "trust folder");
        try {
            return TrustStore.fromDirectory(folder);
        } catch (PackageException e) {
            if (e.reason() == PackageException.Reason.UNSAFE_TRUST) {
                throw e; // A folder others can change is refused (exit 3), not a typo.
            }
            throw cmd.usage(e.getMessage());
        }
    }
}
