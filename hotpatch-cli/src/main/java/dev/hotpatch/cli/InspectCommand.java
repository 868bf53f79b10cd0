package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.builder.Fixup;
import dev.hotpatch.builder.rewrite.RewriteNote;
import dev.hotpatch.builder.rewrite.Verdict;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.TrustStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code hotpatch inspect}: what a package holds and whether its signature is intact. */
@Command(name = "inspect", description = {
        "Show what a package holds and who signed it.",
        "Prints the manifest, the classes with their hashes, and the signer, and per class and member what the " +
                "builder did: 'redefined as is', 'rewritten: kept|moved|shadowed|inlined' (see docs/rewriting.md), and " +
                "'fix-up: CLASS (hooks)' for a package with a fix-up class.",
        "Checks that the signature is intact (a tampered package is refused, exit 3) but not whether the signer is " +
                "trusted: use 'hotpatch verify --trust DIR' for that. Works on unsigned packages too."})
final class InspectCommand extends HotpatchCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "The .hotpatch package.")
    Path file;

    @Override
    public Integer call() {
        HotpatchPackage pkg = HotpatchPackage.read(existingFile(file, "package"), false);
        if (json()) {
            ObjectNode doc = Json.status("ok").put("file", file.toAbsolutePath().normalize().toString()).put("sha256", pkg.sha256());
            doc.set("manifest", manifestJson(pkg.manifest()));
            doc.put("signed", !pkg.signers().isEmpty());
            doc.put("signatureIntact", !pkg.signers().isEmpty());
            doc.put("signatureChecked", pkg.checkedSignature());
            doc.set("signers", signersJson(pkg));
            printJson(doc);
        } else {
            print(out(), pkg, file);
        }
        return ExitPolicy.OK;
    }

    static void print(PrintWriter out, HotpatchPackage pkg, Path file) {
        PackageManifest m = pkg.manifest();
        out.println("Package         " + m.id() + "  (" + file + ")");
        out.println("Title           " + m.title());
        out.println("Description     " + m.description());
        out.println("Classification  " + m.classification().label());
        out.println("Severity        " + orNone(m.severity()));
        out.println("CVEs            " + orNone(String.join(", ", m.cves())));
        out.println("Image           " + orNone(m.image()));
        out.println("Baseline        " + orNone(m.baseline()));
        out.println("Reboot          " + m.rebootBehavior().label());
        out.println("Published       " + m.published());
        out.println("Supersedes      " + orNone(String.join(", ", m.supersedes())));
        out.println("File SHA-256    " + pkg.sha256());
        if (pkg.signers().isEmpty()) {
            out.println("Signature       none: this package is NOT signed and will be refused by verify and apply");
        } else {
            out.println("Signature       intact: " + pkg.checkedSignature());
            for (X509Certificate c : pkg.signers()) {
                out.println("Signer          " + c.getSubjectX500Principal().getName());
                out.println("  SHA-256       " + fingerprint(c));
            }
        }
        if (!m.fixup().isEmpty()) {
            out.println(fixup(pkg).describe());
        }
        out.println("Classes (" + m.classes().size() + "):");
        for (ClassPatch c : m.classes()) {
            out.println("  " + c.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + c.binaryName()
                    + "  (" + c.bytes().length + " bytes)");
            if (c.baselineSha256() != null) {
                out.println("    baseline  " + c.baselineSha256());
            }
            out.println("    new       " + c.sha256());
            printVerdicts(out, c);
        }
        out.flush();
    }

    /** What an added entry is, for people reading a package. */
    static final String ADDED_NOTE = "a class the fix adds: the agent defines it into the class loader of the replaced classes"
            + " of its package; it stays defined after an uninstall, unreferenced";

    /** What the builder did to the class, as recorded in the class file ({@link RewriteNote}). */
    private static void printVerdicts(PrintWriter out, ClassPatch c) {
        if (c.kind() == ClassPatch.Kind.ADDED) {
            out.println("    " + Verdict.Kind.ADDED.label() + " — " + ADDED_NOTE);
            return;
        }
        List<Verdict> verdicts = RewriteNote.read(c.bytes());
        if (verdicts.isEmpty()) {
            out.println("    " + Verdict.Kind.AS_IS.label());
            return;
        }
        for (Verdict v : verdicts) {
            out.println("    " + (v.member().isEmpty() ? "class" : v.member()) + ": " + v.kind().label()
                    + (v.detail().isEmpty() ? "" : " — " + v.detail()));
        }
    }

    /** The package's fix-up class and the hooks it declares; the manifest must name one. */
    static Fixup fixup(HotpatchPackage pkg) {
        return fixup(pkg.manifest());
    }

    static Fixup fixup(PackageManifest m) {
        for (ClassPatch c : m.classes()) {
            if (c.name().equals(m.fixup())) {
                return Fixup.read(c.name(), c.bytes());
            }
        }
        throw new IllegalStateException("the manifest names fix-up " + m.fixup() + " but ships no such class");
    }

    static ObjectNode manifestJson(PackageManifest m) {
        ObjectNode n = Json.object().put("id", m.id()).put("title", m.title()).put("description", m.description())
                .put("classification", m.classification().label()).put("severity", m.severity());
        n.set("cves", Json.strings(m.cves()));
        n.put("image", m.image()).put("baseline", m.baseline()).put("rebootBehavior", m.rebootBehavior().label())
                .put("published", m.published().toString());
        n.set("supersedes", Json.strings(m.supersedes()));
        if (!m.fixup().isEmpty()) {
            n.set("fixup", BuildCommand.fixupJson(fixup(m)));
        }
        ArrayNode classes = n.putArray("classes");
        for (ClassPatch c : m.classes()) {
            ObjectNode o = classes.addObject().put("name", c.binaryName()).put("kind", c.kind().name().toLowerCase(java.util.Locale.ROOT))
                    .put("baselineSha256", c.baselineSha256()).put("sha256", c.sha256()).put("bytes", c.bytes().length);
            if (c.kind() == ClassPatch.Kind.REPLACE) {
                List<Verdict> verdicts = RewriteNote.read(c.bytes());
                o.set("rewrite", BuildCommand.classVerdictJson(c.name(), verdicts.isEmpty()
                        ? List.of(new Verdict(c.name(), "", Verdict.Kind.AS_IS, "")) : verdicts));
            } else {
                o.set("rewrite", BuildCommand.classVerdictJson(c.name(), List.of(new Verdict(c.name(), "", Verdict.Kind.ADDED, ADDED_NOTE))));
            }
        }
        return n;
    }

    static ArrayNode signersJson(HotpatchPackage pkg) {
        ArrayNode a = Json.object().arrayNode();
        for (X509Certificate c : pkg.signers()) {
            a.addObject().put("subject", c.getSubjectX500Principal().getName()).put("fingerprintSha256", fingerprint(c));
        }
        return a;
    }

    static String fingerprint(X509Certificate c) {
        return TrustStore.fingerprint(c);
    }

    private static String orNone(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }
}
