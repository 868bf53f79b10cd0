package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.builder.AddedClass;
import dev.hotpatch.builder.BuildRefusedException;
import dev.hotpatch.builder.BuildRequest;
import dev.hotpatch.builder.BuildResult;
import dev.hotpatch.builder.ClassChange;
import dev.hotpatch.builder.DiffReport;
import dev.hotpatch.builder.Fixup;
import dev.hotpatch.builder.PatchBuilder;
import dev.hotpatch.builder.Refusal;
import dev.hotpatch.builder.rewrite.RewritePolicy;
import dev.hotpatch.builder.rewrite.Verdict;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch build}: diffs two jars and writes a signed hotpatch package, or explains why it cannot. */
@Command(name = "build", description = {
        "Build a signed hotpatch package from two jars.",
        "Compares the baseline jar with the fixed jar and packages the changed classes. Prints, per class and member, " +
                "what was done: 'redefined as is', or 'rewritten: kept|moved|shadowed|inlined' where plain redefinition " +
                "would refuse the change (removed members are kept: a removed method that other classes can call does what the call " +
                "does in the fixed release, never the old code; added methods and lambdas move into a hidden helper, " +
                "added fields into a side table, added constants are inlined; see docs/rewriting.md). Classes the fix adds " +
                "ship as 'added': the agent defines them into the class loaders of the replaced classes of their package. When a change " +
                "cannot be rewritten safely (hierarchy, added constructors, ...) prints every reason and exits 3: ship " +
                "such a fix as a baseline.",
        "A fix whose library computed state with the vulnerable code (a cache, a singleton) also needs --fixup: a class " +
                "the agent calls after a live apply to rebuild that state; the report then says 'fix-up: CLASS (hooks)'."})
final class BuildCommand extends HotpatchCommand {
    @Option(names = "--baseline", required = true, paramLabel = "OLD.jar", description = "The jar the JVMs run now.")
    Path baseline;

    @Option(names = "--patched", required = true, paramLabel = "NEW.jar", description = "The same jar with the fix.")
    Path patched;

    @Option(names = "--id", required = true, paramLabel = "KB…", description = "Package id, e.g. KB2026-0001.")
    String id;

    @Option(names = "--title", required = true, paramLabel = "T", description = "One-line title.")
    String title;

    @Option(names = "--classification", required = true, paramLabel = "C",
            description = "Critical or Security (only those may ship as hotpatches).")
    String classification;

    @Option(names = "--severity", paramLabel = "S", description = "Severity, e.g. Critical, Important.")
    String severity;

    @Option(names = "--cve", paramLabel = "CVE-…", description = "A CVE the fix addresses; repeatable.")
    List<String> cves = new ArrayList<>();

    @Option(names = "--include", paramLabel = "GLOB", description = "Only changed classes matching this glob "
            + "(e.g. org/apache/logging/log4j/core/lookup/**); repeatable. Default: every changed class.")
    List<String> includes = new ArrayList<>();

    @Option(names = "--image", paramLabel = "p/o/s", description = "Image as publisher/offer/sku, e.g. apache/log4j-core/2.x.")
    String image;

    @Option(names = "--baseline-id", paramLabel = "ID", description = "Baseline id (default: sha256: and the first 16 hex digits of the baseline jar's SHA-256).")
    String baselineId;

    @Option(names = "--supersedes", paramLabel = "KB…", description = "Id of an earlier hotpatch this one replaces; repeatable.")
    List<String> supersedes = new ArrayList<>();

    @Option(names = "--published", paramLabel = "INSTANT", description = "Publication time, ISO-8601 (default: now).")
    String published;

    @Option(names = "--no-rewrite", description = "Plain redefinition only: refuse every change HotSpot refuses instead of rewriting it.")
    boolean noRewrite;

    @Option(names = "--accept-shadow", paramLabel = "CLASS.FIELD", description = "Accept that objects created before the patch "
            + "read the default value of this added field (e.g. acme/Fees.scale), which the builder cannot prove safe; repeatable.")
    List<String> acceptShadow = new ArrayList<>();

    @Option(names = "--shadow-init", paramLabel = "CLASS.FIELD=VALUE", description = "Declare what objects created before the patch "
            + "read from this added field instead of its default (e.g. org/yaml/snakeyaml/composer/Composer.nestingDepthLimit=50): a "
            + "literal of the field's primitive type or String. Use it where the fixed constructors compute the value and you know "
            + "what they would have set; replaces --accept-shadow for that field; repeatable.")
    List<String> shadowInit = new ArrayList<>();

    @Option(names = "--classpath", paramLabel = "JAR", description = "A jar the library depends on (e.g. stax2-api for "
            + "woodstox-core): the builder reads the supertypes it finds there, so it can check that an added method overrides "
            + "nothing outside the patched jar; repeatable.")
    List<Path> classpath = new ArrayList<>();

    @Option(names = "--fixup", paramLabel = "CLASSFILE", description = "A compiled fix-up class (.class) to ship: an added class in "
            + "the package of a replaced class, declaring 'public static void afterApply()' (and optionally afterUninstall()). "
            + "The agent calls afterApply() once per class loader after a live apply, to repair state the vulnerable code built "
            + "(caches, singletons); afterUninstall() after a live uninstall. Compile it against the fixed jar, for the "
            + "baseline's Java release, with no nested classes. See docs/rewriting.md, 'State fix-ups'.")
    Path fixup;

    @Option(names = "--key", required = true, paramLabel = "DIR", description = "Signing key folder made by 'hotpatch keygen'.")
    Path key;

    @Option(names = "--out", required = true, paramLabel = "FILE.hotpatch", description = "Package file to write.")
    Path out;

    @Override
    public Integer call() throws IOException {
        Path baselineJar = existingFile(baseline, "--baseline jar");
        Path patchedJar = existingFile(patched, "--patched jar");
        Path keyDir = existingFolder(key, "--key folder");
        if (Files.isDirectory(out)) {
            throw usage("--out " + out + " is a folder; name the package file to write, e.g. " + out.resolve(id + ".hotpatch"));
        }
        Classification c;
        try {
            c = Classification.parse(classification);
        } catch (IllegalArgumentException e) {
            throw usage("--classification: " + e.getMessage());
        }
        Instant publishedAt = null;
        if (published != null) {
            try {
                publishedAt = Instant.parse(published);
            } catch (DateTimeParseException e) {
                throw usage("--published '" + published + "' is not an ISO-8601 instant such as 2026-01-14T00:00:00Z");
            }
        }
        SigningKey signingKey;
        try {
            signingKey = SigningKey.load(keyDir);
        } catch (PackageException e) {
            throw usage("--key: " + e.getMessage());
        }
        List<String> accepted = new ArrayList<>();
        for (String a : acceptShadow) {
            int dot = a.lastIndexOf('.');
            if (dot <= 0 || dot == a.length() - 1) {
                throw usage("--accept-shadow '" + a + "' must name a class and a field, e.g. acme/Fees.scale");
            }
            accepted.add(a.substring(0, dot).replace('.', '/') + a.substring(dot));
        }
        Map<String, String> declared = new LinkedHashMap<>();
        for (String d : shadowInit) {
            int eq = d.indexOf('=');
            int dot = eq < 0 ? -1 : d.lastIndexOf('.', eq);
            if (eq < 0 || dot <= 0 || dot >= eq - 1) {
                throw usage("--shadow-init '" + d + "' must be CLASS.FIELD=VALUE, e.g. "
                        + "org/yaml/snakeyaml/composer/Composer.nestingDepthLimit=50; VALUE: " + RewritePolicy.SHADOW_INIT_FORMS);
            }
            String field = d.substring(0, dot).replace('.', '/') + d.substring(dot, eq);
            if (declared.put(field, d.substring(eq + 1)) != null) {
                throw usage("--shadow-init names " + field + " twice; give one value per field");
            }
            if (accepted.contains(field)) {
                throw usage("--shadow-init and --accept-shadow both name " + field + "; --shadow-init declares its value, so drop "
                        + "--accept-shadow " + field);
            }
        }
        List<Path> dependencies = new ArrayList<>();
        for (Path jar : classpath) {
            dependencies.add(existingFile(jar, "--classpath jar"));
        }
        if (noRewrite && !(declared.isEmpty() && dependencies.isEmpty())) {
            throw usage("--shadow-init and --classpath steer rewriting, which --no-rewrite turns off; drop one or the other");
        }
        RewritePolicy policy = noRewrite ? RewritePolicy.NONE
                : new RewritePolicy(true, new LinkedHashSet<>(accepted), declared, dependencies);
        Path fixupFile = fixup == null ? null : existingFile(fixup, "--fixup class file");
        BuildRequest request = new BuildRequest(baselineJar, patchedJar, includes, id, title, c, severity, cves, image,
                baselineId, supersedes, publishedAt, policy, fixupFile);
        BuildResult result;
        try {
            result = PatchBuilder.build(request, signingKey, out.toAbsolutePath().normalize());
        } catch (BuildRefusedException e) {
            return refused(e);
        }
        String sha = Sha256.hex(result.out());
        if (json()) {
            ObjectNode doc = Json.status("ok").put("out", result.out().toString()).put("sha256", sha);
            doc.set("manifest", InspectCommand.manifestJson(result.manifest()));
            doc.set("report", reportJson(result.report()));
            if (result.fixup() != null) {
                doc.set("fixup", fixupJson(result.fixup()));
            }
            printJson(doc);
        } else {
            out().println(result.report().render());
            if (result.fixup() != null) {
                out().println(result.fixup().describe());
            }
            out().println("Wrote " + result.out() + ": " + result.manifest().id() + ", " + result.manifest().classes().size()
                    + (result.manifest().classes().size() == 1 ? " class" : " classes") + ", signed by "
                    + signingKey.certificate().getSubjectX500Principal().getName() + ", SHA-256 " + sha);
        }
        return ExitPolicy.OK;
    }

    private int refused(BuildRefusedException e) {
        DiffReport report = e.report();
        if (json()) {
            ObjectNode doc = Json.status("refused").put("exitCode", ExitPolicy.REFUSED).put("message", e.getMessage());
            if (report != null) {
                doc.set("report", reportJson(report));
            }
            printJson(doc);
        } else {
            out().println(e.getMessage());
            if (report != null && !report.refusals().isEmpty() && !e.getMessage().contains(DiffReport.BASELINE_ADVICE)) {
                out().println(DiffReport.BASELINE_ADVICE);
            }
            out().flush();
        }
        err().println("hotpatch build: refused: no package was written");
        err().flush();
        return ExitPolicy.REFUSED;
    }

    /** {@code {"class": "org/…/Fixup", "hooks": ["afterApply", …], "line": "fix-up: …"}}. */
    static ObjectNode fixupJson(Fixup f) {
        ObjectNode o = Json.object().put("class", f.className());
        o.set("hooks", Json.strings(f.hooks()));
        return o.put("line", f.describe());
    }

    static ObjectNode reportJson(DiffReport r) {
        ObjectNode n = Json.object().put("hotpatchable", r.hotpatchable()).put("classesCompared", r.classesCompared())
                .put("elapsedMillis", r.elapsedNanos() / 1_000_000.0);
        ArrayNode changed = n.putArray("changed");
        for (ClassChange c : r.changed()) {
            ObjectNode o = changed.addObject().put("name", c.className()).put("baselineSha256", c.baselineSha256())
                    .put("patchedSha256", c.patchedSha256());
            o.set("changedMethods", Json.strings(c.changedMethods()));
        }
        ArrayNode added = n.putArray("added");
        for (AddedClass a : r.added()) {
            added.addObject().put("name", a.className()).put("sha256", a.sha256());
        }
        n.set("verdicts", verdictsJson(r));
        ArrayNode refusals = n.putArray("refusals");
        for (Refusal f : r.refusals()) {
            refusals.addObject().put("class", f.className()).put("member", f.member()).put("rule", f.rule()).put("text", f.toString());
        }
        n.set("excluded", Json.strings(r.excluded()));
        n.set("warnings", Json.strings(r.warnings()));
        if (!r.refusals().isEmpty()) {
            n.put("advice", DiffReport.BASELINE_ADVICE);
        }
        return n;
    }

    /** Per changed class: "redefined as is", "rewritten" or "refused", and what was done to each member. */
    static ArrayNode verdictsJson(DiffReport r) {
        ArrayNode out = Json.object().arrayNode();
        for (ClassChange c : r.changed()) {
            out.add(classVerdictJson(c.className(), r.verdictsFor(c.className())));
        }
        for (AddedClass a : r.added()) {
            out.add(classVerdictJson(a.className(), r.verdictsFor(a.className())));
        }
        return out;
    }

    static ObjectNode classVerdictJson(String className, List<Verdict> verdicts) {
        boolean refused = verdicts.stream().anyMatch(Verdict::refused);
        boolean asIs = verdicts.stream().allMatch(v -> v.kind() == Verdict.Kind.AS_IS);
        boolean added = !verdicts.isEmpty() && verdicts.stream().allMatch(v -> v.kind() == Verdict.Kind.ADDED);
        ObjectNode o = Json.object().put("class", className)
                .put("verdict", refused ? "refused" : asIs ? Verdict.Kind.AS_IS.label() : added ? Verdict.Kind.ADDED.label() : "rewritten");
        if (added) {
            o.put("detail", verdicts.get(0).detail());
        }
        ArrayNode members = o.putArray("members");
        for (Verdict v : verdicts) {
            if (v.kind() != Verdict.Kind.AS_IS && v.kind() != Verdict.Kind.ADDED) {
                members.addObject().put("member", v.member()).put("kind", v.kind().key()).put("label", v.kind().label())
                        .put("detail", v.detail());
            }
        }
        return o;
    }
}
