package dev.hotpatch.format;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a package says about itself: identity (KB id, title), classification and severity, the CVEs
 * it fixes, the image and baseline it applies to, reboot behavior, publication date, the packages it
 * supersedes, and its classes. Immutable and validated on construction; build one with {@link #builder()}.
 */
public final class PackageManifest {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern CVE = Pattern.compile("CVE-\\d{4}-\\d{4,}");
    private static final Pattern IMAGE = Pattern.compile("[^/\\s]{1,64}/[^/\\s]{1,64}/[^/\\s]{1,64}");

    private final String id;
    private final String title;
    private final Classification classification;
    private final String severity;
    private final List<String> cves;
    private final String image;
    private final String baseline;
    private final RebootBehavior rebootBehavior;
    private final Instant published;
    private final List<String> supersedes;
    private final List<ClassPatch> classes;
    private final String fixup;

    private PackageManifest(Builder b) {
        this.id = requireMatch("id", b.id, ID, "letters, digits, '.', '_' or '-', e.g. KB2026-0001");
        this.title = requireText("title", b.title, 200);
        this.classification = Objects.requireNonNull(b.classification, "classification is required");
        this.severity = b.severity == null ? "" : requireText("severity", b.severity, 40);
        List<String> cv = new ArrayList<>();
        for (String c : b.cves) {
            cv.add(requireMatch("CVE", c, CVE, "the form CVE-2026-1234"));
        }
        this.cves = Collections.unmodifiableList(cv);
        this.image = b.image == null || b.image.isEmpty() ? "" : requireMatch("image", b.image, IMAGE, "publisher/offer/sku");
        this.baseline = b.baseline == null ? "" : requireText("baseline", b.baseline, 200);
        this.rebootBehavior = Objects.requireNonNull(b.rebootBehavior, "reboot behavior is required");
        this.published = Objects.requireNonNull(b.published, "published date is required");
        List<String> sup = new ArrayList<>();
        for (String s : b.supersedes) {
            String checked = requireMatch("supersedes", s, ID, "a package id");
            if (checked.equals(id)) {
                throw new IllegalArgumentException("package " + id + " cannot supersede itself");
            }
            sup.add(checked);
        }
        this.supersedes = Collections.unmodifiableList(sup);
        if (b.classes.isEmpty()) {
            throw new IllegalArgumentException("package " + id + " has no classes");
        }
        Set<String> names = new LinkedHashSet<>();
        for (ClassPatch c : b.classes) {
            if (!names.add(c.name())) {
                throw new IllegalArgumentException("class " + c.name() + " appears twice in package " + id);
            }
        }
        if (rebootBehavior == RebootBehavior.NEVER_REBOOTS && !classification.hotpatchable()) {
            throw new IllegalArgumentException("only Critical or Security updates may ship as hotpatches (NeverReboots); "
                    + id + " is " + classification.label());
        }
        this.classes = Collections.unmodifiableList(new ArrayList<>(b.classes));
        this.fixup = b.fixup == null || b.fixup.isEmpty() ? "" : requireFixup(ClassNames.requireInternalName(b.fixup), id, classes);
    }

    /**
     * The fix-up must be an added class of this package, in the Java package of a class it
     * replaces: the agent defines it next to those classes and calls it in their loaders.
     */
    private static String requireFixup(String fixup, String id, List<ClassPatch> classes) {
        ClassPatch entry = null;
        for (ClassPatch c : classes) {
            if (c.name().equals(fixup)) {
                entry = c;
            }
        }
        if (entry == null) {
            throw new IllegalArgumentException("fixup " + fixup + " names no class shipped in package " + id
                    + "; the fix-up class must be one of its 'added' classes");
        }
        if (entry.kind() != ClassPatch.Kind.ADDED) {
            throw new IllegalArgumentException("fixup " + fixup + " is a 'replace' class of package " + id
                    + "; the fix-up class must be a class the package adds");
        }
        for (ClassPatch c : classes) {
            if (c.kind() == ClassPatch.Kind.REPLACE && c.packageName().equals(entry.packageName())) {
                return fixup;
            }
        }
        throw new IllegalArgumentException("fixup " + fixup + " is in Java package '" + entry.packageName().replace('/', '.')
                + "', where package " + id + " replaces no class; the fix-up class must be in the package of a class it replaces");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Package id, e.g. {@code KB2026-0001}. */
    public String id() {
        return id;
    }

    public String title() {
        return title;
    }

    public Classification classification() {
        return classification;
    }

    /** Free-form severity (e.g. Critical, Important); empty when not given. */
    public String severity() {
        return severity;
    }

    public List<String> cves() {
        return cves;
    }

    /** Image as {@code publisher/offer/sku}; empty when the builder was not told. */
    public String image() {
        return image;
    }

    /** Id of the baseline this package applies to (for example the baseline jar's SHA-256); empty when unknown. */
    public String baseline() {
        return baseline;
    }

    public RebootBehavior rebootBehavior() {
        return rebootBehavior;
    }

    public Instant published() {
        return published;
    }

    /** Ids of earlier packages this one replaces (hotpatches are cumulative within a baseline). */
    public List<String> supersedes() {
        return supersedes;
    }

    public List<ClassPatch> classes() {
        return classes;
    }

    /**
     * Internal name of the fix-up class ({@code acme/FeesFixup}): an added class whose
     * {@code public static void afterApply()} the agent calls after a live apply (and
     * {@code afterUninstall()}, when declared, after a live uninstall) to repair state the
     * vulnerable code built; empty when the package has none. See docs/package-format.md.
     */
    public String fixup() {
        return fixup;
    }

    /** A short human description, as Get-HotFix shows it. */
    public String description() {
        return classification.label() + " Update: " + title;
    }

    @Override
    public String toString() {
        return id + " (" + classification.label() + ", " + classes.size() + " classes)";
    }

    private static String requireMatch(String field, String value, Pattern p, String expected) {
        if (value == null || !p.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid " + field + " '" + value + "': expected " + expected);
        }
        return requireWellFormed(field, value);
    }

    private static String requireText(String field, String value, int max) {
        if (value == null || value.trim().isEmpty()) {
            throw new IllegalArgumentException(field + " is required");
        }
        if (value.length() > max) {
            throw new IllegalArgumentException(field + " is longer than " + max + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new IllegalArgumentException(field + " contains a control character");
            }
        }
        return requireWellFormed(field, value);
    }

    /** Refuses unpaired surrogates: UTF-8 cannot carry them, so the signed manifest would say something else. */
    private static String requireWellFormed(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(field + " contains an unpaired surrogate (\\u"
                        + Integer.toHexString(c) + ") at index " + i + ": it is not valid Unicode text");
            }
        }
        return value;
    }

    /** Collects the fields of a manifest; {@link #build()} validates them. Not thread-safe. */
    public static final class Builder {
        private String id;
        private String title;
        private Classification classification;
        private String severity;
        private final List<String> cves = new ArrayList<>();
        private String image;
        private String baseline;
        private RebootBehavior rebootBehavior = RebootBehavior.NEVER_REBOOTS;
        private Instant published;
        private final List<String> supersedes = new ArrayList<>();
        private final List<ClassPatch> classes = new ArrayList<>();
        private String fixup;

        private Builder() {
        }

        public Builder id(String v) { this.id = v; return this; }
        public Builder title(String v) { this.title = v; return this; }
        public Builder classification(Classification v) { this.classification = v; return this; }
        public Builder severity(String v) { this.severity = v; return this; }
        public Builder cves(List<String> v) { this.cves.clear(); this.cves.addAll(v); return this; }
        public Builder image(String v) { this.image = v; return this; }
        public Builder baseline(String v) { this.baseline = v; return this; }
        public Builder rebootBehavior(RebootBehavior v) { this.rebootBehavior = v; return this; }
        public Builder published(Instant v) { this.published = v; return this; }
        public Builder supersedes(List<String> v) { this.supersedes.clear(); this.supersedes.addAll(v); return this; }
        public Builder classes(List<ClassPatch> v) { this.classes.clear(); this.classes.addAll(v); return this; }
        public Builder addClass(ClassPatch v) { this.classes.add(v); return this; }
        /** The fix-up class, an added class of the package (internal name); null or empty for none. */
        public Builder fixup(String v) { this.fixup = v; return this; }

        /** Validates and builds; {@link IllegalArgumentException} names the offending field and value. */
        public PackageManifest build() {
            return new PackageManifest(this);
        }
    }
}
