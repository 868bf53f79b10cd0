package dev.hotpatch.bench;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.TrustStore;
import java.io.OutputStream;
import java.lang.instrument.ClassDefinition;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * A profiling probe for warm apply: an agent, loaded into a target where the hotpatch agent is
 * already resident, that times the steps a hotpatch apply consists of, one at a time, with the
 * format classes of the resident agent (found through the system class loader, which the
 * resident agent's jar was appended to). It does not call the agent: it repeats its work, so
 * each step's cost can be set against the bare redefinition.
 *
 * <p>Steps, as {@code Engine.apply} performs them: read the package into memory; read the trust
 * folder (uncached: the agent re-reads it only when its stamp changed); check the manifest
 * signature and parse the package from memory (hashing the ten classes, timed again alone after
 * the fact); scan the loaded classes by name, once; redefine the ten classes. Then what only an
 * enrolled agent does, indented, so left out of the sum for the attached agent the rounds measure:
 * persist (write the package into the state folder; write the list with {@link Properties#store},
 * as the agent's state store does).
 *
 * <p>Arguments: {@code KEY|PACKAGE|TRUST_DIR|ORIGINAL_DIR|SCRATCH_DIR|REPS|NAME,NAME,...}.
 * Publishes {@code step=median micros;...;loadedClasses=N} as the system property
 * {@code bench.probe.KEY}. Leaves every class at its original bytes.
 */
public final class ApplyProbe {
    /** Prefix of the system property this probe publishes its timings under. */
    public static final String PROPERTY_PREFIX = "bench.probe.";

    private ApplyProbe() {
    }

    /** Called by the JVM on {@code loadAgent}. */
    public static void agentmain(String args, Instrumentation inst) throws Exception {
        String[] a = args.split("\\|", 7);
        Path pkg = Path.of(a[1]);
        Path trustDir = Path.of(a[2]);
        Path originalDir = Path.of(a[3]);
        Path scratch = Files.createDirectories(Path.of(a[4]));
        int reps = Integer.parseInt(a[5]);
        Set<String> wanted = new HashSet<>(Arrays.asList(a[6].split(",")));
        Map<String, long[]> steps = new LinkedHashMap<>();
        for (String s : List.of("read package into memory", "read trust folder (uncached)", "verify signature + parse",
                "  of which SHA-256 of the 10 classes", "scan loaded classes (once)", "redefineClasses",
                "  enrolled only: keep package", "  enrolled only: write list")) {
            steps.put(s, new long[reps]);
        }
        int loadedClasses = 0;
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            byte[] data = Files.readAllBytes(pkg);
            t = lap(steps, "read package into memory", i, t);
            TrustStore trust = TrustStore.fromDirectory(trustDir);
            t = lap(steps, "read trust folder (uncached)", i, t);
            HotpatchPackage p = HotpatchPackage.readSignedManifest(data, pkg.getFileName().toString(), trust);
            if (p == null) {
                throw new IllegalStateException(pkg + " carries no manifest signature by the trusted key");
            }
            t = lap(steps, "verify signature + parse", i, t);
            for (ClassPatch c : p.manifest().classes()) {
                Sha256.hex(c.bytes());
            }
            t = lap(steps, "  of which SHA-256 of the 10 classes", i, t);
            Class<?>[] all = inst.getAllLoadedClasses();
            Map<String, Class<?>> found = new HashMap<>();
            for (Class<?> k : all) {
                String internal = k.getName().replace('.', '/');
                if (wanted.contains(internal) && !k.isArray()) {
                    found.put(internal, k);
                }
            }
            loadedClasses = all.length;
            t = lap(steps, "scan loaded classes (once)", i, t);
            List<ClassDefinition> patched = new ArrayList<>();
            for (ClassPatch c : p.manifest().classes()) {
                patched.add(new ClassDefinition(found.get(c.name()), c.bytes()));
            }
            inst.redefineClasses(patched.toArray(new ClassDefinition[0]));
            t = lap(steps, "redefineClasses", i, t);
            Path tmp = Files.createTempFile(scratch, ".incoming-", ".tmp");
            Files.write(tmp, data);
            Files.move(tmp, scratch.resolve("kept.hotpatch"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            t = lap(steps, "  enrolled only: keep package", i, t);
            Properties list = new Properties();
            list.setProperty("count", "1");
            list.setProperty("0.id", p.manifest().id());
            list.setProperty("0.sha256", p.sha256());
            Path listTmp = Files.createTempFile(scratch, ".installed-", ".tmp");
            try (OutputStream out = Files.newOutputStream(listTmp)) {
                list.store(out, null);
            }
            Files.move(listTmp, scratch.resolve("installed.properties"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            lap(steps, "  enrolled only: write list", i, t);
            List<ClassDefinition> original = new ArrayList<>();
            for (Map.Entry<String, Class<?>> e : found.entrySet()) {
                original.add(new ClassDefinition(e.getValue(), Files.readAllBytes(originalDir.resolve(e.getKey() + ".class"))));
            }
            inst.redefineClasses(original.toArray(new ClassDefinition[0]));
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, long[]> e : steps.entrySet()) {
            long[] v = e.getValue().clone();
            Arrays.sort(v);
            b.append(e.getKey()).append('=').append(v[v.length / 2] / 1000).append(';');
        }
        System.setProperty(PROPERTY_PREFIX + a[0], b.append("loadedClasses=").append(loadedClasses).toString());
    }

    private static long lap(Map<String, long[]> steps, String step, int i, long since) {
        long now = System.nanoTime();
        steps.get(step)[i] = now - since;
        return now;
    }
}
