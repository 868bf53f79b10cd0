package dev.hotpatch.format;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Reads and writes {@code HOTPATCH-INF/patch.properties}, the package's own manifest. Properties
 * keep the agent free of any parser dependency; keys are written in a stable order so that the same
 * package content always produces the same bytes.
 */
final class ManifestCodec {
    static final String ENTRY = "HOTPATCH-INF/patch.properties";
    static final String FORMAT_VERSION = "1";
    /**
     * The format of a package with a fix-up class. Agents before fix-ups read only format 1 and
     * refuse this one ("unsupported package format"), so none applies the classes without the fix-up.
     */
    static final String FORMAT_WITH_FIXUP = "2";
    static final int MAX_CLASSES = 10_000;

    private ManifestCodec() {
    }

    static byte[] write(PackageManifest m) {
        Map<String, String> p = new TreeMap<>();
        p.put("format", m.fixup().isEmpty() ? FORMAT_VERSION : FORMAT_WITH_FIXUP);
        if (!m.fixup().isEmpty()) {
            p.put("fixup", m.fixup());
        }
        p.put("id", m.id());
        p.put("title", m.title());
        p.put("classification", m.classification().label());
        p.put("severity", m.severity());
        p.put("cves", String.join(",", m.cves()));
        p.put("image", m.image());
        p.put("baseline", m.baseline());
        p.put("rebootBehavior", m.rebootBehavior().label());
        p.put("published", m.published().toString());
        p.put("supersedes", String.join(",", m.supersedes()));
        p.put("class.count", Integer.toString(m.classes().size()));
        for (int i = 0; i < m.classes().size(); i++) {
            ClassPatch c = m.classes().get(i);
            p.put("class." + i + ".name", c.name());
            p.put("class." + i + ".kind", c.kind().label());
            if (c.baselineSha256() != null) {
                p.put("class." + i + ".baselineSha256", c.baselineSha256());
            }
            p.put("class." + i + ".sha256", c.sha256());
        }
        String out = "# hotpatch package manifest\n" + PropertiesText.write(p);
        return out.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses the manifest; {@code classBytes} supplies the bytes of each listed class entry. Every
     * failure is a {@link PackageException} with reason MALFORMED naming the field.
     */
    static PackageManifest read(byte[] data, java.util.function.Function<String, byte[]> classBytes) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(data, StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            throw malformed("patch.properties cannot be parsed: " + e.getMessage(), e);
        }
        String format = p.getProperty("format");
        if (!FORMAT_VERSION.equals(format) && !FORMAT_WITH_FIXUP.equals(format)) {
            throw malformed("unsupported package format '" + format + "' (this version reads formats " + FORMAT_VERSION + " and "
                    + FORMAT_WITH_FIXUP + "); upgrade hotpatch to read newer packages", null);
        }
        String fixup = p.getProperty("fixup");
        if (FORMAT_VERSION.equals(format) && fixup != null) {
            throw malformed("patch.properties names a fix-up class (" + fixup + ") but says format " + FORMAT_VERSION
                    + ", which agents before fix-ups apply without running it; a package with a fix-up must say format "
                    + FORMAT_WITH_FIXUP + ". Rebuild it with 'hotpatch build --fixup'", null);
        }
        if (FORMAT_WITH_FIXUP.equals(format) && (fixup == null || fixup.isEmpty())) {
            throw malformed("patch.properties says format " + FORMAT_WITH_FIXUP + " (a package with a fix-up class) but names"
                    + " no 'fixup'; rebuild the package", null);
        }
        try {
            int count = Integer.parseInt(required(p, "class.count"));
            if (count < 1 || count > MAX_CLASSES) {
                throw malformed("class.count must be 1.." + MAX_CLASSES + ", got " + count, null);
            }
            List<ClassPatch> classes = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String name = required(p, "class." + i + ".name");
                ClassPatch.Kind kind = ClassPatch.Kind.parse(required(p, "class." + i + ".kind"));
                String sha = required(p, "class." + i + ".sha256");
                byte[] bytes = classBytes.apply(ClassNames.requireInternalName(name));
                if (bytes == null) {
                    throw malformed("class " + name + " is listed but its entry HOTPATCH-INF/classes/" + name
                            + ".class is missing", null);
                }
                ClassPatch c = kind == ClassPatch.Kind.REPLACE
                        ? ClassPatch.replace(name, required(p, "class." + i + ".baselineSha256"), bytes)
                        : ClassPatch.added(name, bytes);
                if (!c.sha256().equals(sha)) {
                    throw new PackageException(PackageException.Reason.TAMPERED, "class " + name + ": content hashes to "
                            + c.sha256() + " but the manifest says " + sha);
                }
                classes.add(c);
            }
            return PackageManifest.builder()
                    .id(required(p, "id"))
                    .title(required(p, "title"))
                    .classification(Classification.parse(required(p, "classification")))
                    .severity(emptyToNull(p.getProperty("severity")))
                    .cves(list(p.getProperty("cves")))
                    .image(p.getProperty("image", ""))
                    .baseline(emptyToNull(p.getProperty("baseline")))
                    .rebootBehavior(RebootBehavior.parse(required(p, "rebootBehavior")))
                    .published(Instant.parse(required(p, "published")))
                    .supersedes(list(p.getProperty("supersedes")))
                    .classes(classes)
                    .fixup(fixup)
                    .build();
        } catch (NumberFormatException | DateTimeParseException e) {
            throw malformed("patch.properties has an invalid value: " + e.getMessage(), e);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw malformed("patch.properties: " + e.getMessage(), e);
        }
    }

    private static String required(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw malformed("patch.properties lacks the required field '" + key + "'", null);
        }
        return v;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static List<String> list(String s) {
        if (s == null || s.trim().isEmpty()) {
            return Collections.emptyList();
        }
        return Arrays.asList(s.split(","));
    }

    private static PackageException malformed(String msg, Throwable cause) {
        return new PackageException(PackageException.Reason.MALFORMED, msg, cause);
    }
}
