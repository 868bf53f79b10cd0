package dev.hotpatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.tools.attach.VirtualMachine;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.format.channel.Message;
import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * Builds what the agent tests need from real parts: the agent jar (from this module's classes and
 * the format classes, as the shade plugin would), a target app in three versions, signing keys and
 * signed packages, and a client that attaches and talks to the agent over its socket.
 */
final class AgentHarness {
    static final String APP = String.join("\n",
            "package acme;",
            "import java.io.*; import java.net.*;",
            "public class App {",
            "  static ClassLoader iso;",
            "  public static void main(String[] a) throws Exception {",
            "    System.out.println(\"ready\");",
            "    BufferedReader r = new BufferedReader(new InputStreamReader(System.in));",
            "    for (String line; (line = r.readLine()) != null; ) {",
            "      String[] p = line.split(\" \");",
            "      if (p[0].equals(\"fee\")) System.out.println(\"fee=\" + Fees.fee(Long.parseLong(p[1])));",
            "      else if (p[0].equals(\"late\")) System.out.println(\"late=\" + Late.fee(Long.parseLong(p[1])));",
            "      else if (p[0].equals(\"iso\")) {",
            "        if (iso == null) iso = new URLClassLoader(new URL[] {App.class.getProtectionDomain().getCodeSource().getLocation()},",
            "            ClassLoader.getPlatformClassLoader());",
            "        System.out.println(\"iso=\" + iso.loadClass(\"acme.Fees\").getMethod(\"fee\", long.class).invoke(null, Long.parseLong(p[1])));",
            "      } else if (p[0].equals(\"opens\")) System.out.println(\"opens=\" + Object.class.getModule().isOpen(\"java.lang\", App.class.getModule()));",
            "      else System.out.println(\"error \" + line);",
            "    }",
            "  }",
            "}");

    /** fee(1030): v1 truncates → 25, v2 rounds → 26, v3 marks itself → 1026. */
    static String fees(String body) {
        return "package acme; public class Fees { public static long fee(long c) { " + body + " } }";
    }

    static String late(String body) {
        return "package acme; public class Late { public static long fee(long c) { " + body + " } }";
    }

    static final String FEES_V1 = fees("return c / 40;");
    static final String FEES_V2 = fees("return (c + 20) / 40;");
    static final String FEES_V3 = fees("return (c + 20) / 40 + 1000;");
    static final String LATE_V1 = late("return c / 50;");
    static final String LATE_V2 = late("return (c + 25) / 50;");

    final Path dir;
    final Path agentJar;
    final SigningKey key;
    final Path keyDir;
    final Path appJar;
    private final Map<String, byte[]> v1;

    AgentHarness(Path dir) throws IOException {
        this.dir = dir;
        this.agentJar = buildAgentJar(dir.resolve("hotpatch-agent.jar"));
        this.keyDir = dir.resolve("keys");
        this.key = SigningKey.generate(keyDir, "CN=Agent Test Publisher");
        this.appJar = JarMaker.compile(dir.resolve("app-1.0.jar"), sources(FEES_V1, LATE_V1), List.of(), 11);
        this.v1 = classes(appJar);
    }

    static Stream<Path> jdks() {
        return Jdks.all().stream();
    }

    static Map<String, String> sources(String fees, String late) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("acme.App", APP);
        s.put("acme.Fees", fees);
        s.put("acme.Late", late);
        return s;
    }

    /** Starts the v1 app on {@code java} with its own state folder; extra JVM options may enrol the agent. */
    TargetJvm start(Path java, Path state, String... jvmArgs) {
        return start(java, appJar, state, jvmArgs);
    }

    /** Starts the app in {@code jar} on {@code java} with its own state folder. */
    TargetJvm start(Path java, Path jar, Path state, String... jvmArgs) {
        TargetJvm jvm = TargetJvm.builder(java).classpath(jar).mainClass("acme.App")
                .jvmArgs("-Dhotpatch.state=" + state).jvmArgs(jvmArgs).start();
        jvm.await(l -> l.equals("ready"), Duration.ofSeconds(20));
        return jvm;
    }

    /** The agent option string that enrols a JVM with this harness's key as its trust. */
    String enrolled(String... moreOptions) {
        return "-javaagent:" + agentJar + "=trust=" + keyDir + (moreOptions.length == 0 ? "" : "," + String.join(",", moreOptions));
    }

    /** A signed package replacing the named classes of v1 with those compiled from {@code fees}/{@code late}. */
    Path pkg(String id, String fees, String late, List<String> supersedes, SigningKey signer) throws IOException {
        return pkg(v1, id, fees, late, supersedes, signer);
    }

    /** A signed package replacing the classes of {@code baseline} that differ in the build compiled from {@code fees}/{@code late}. */
    Path pkg(Map<String, byte[]> baseline, String id, String fees, String late, List<String> supersedes, SigningKey signer)
            throws IOException {
        Map<String, byte[]> v1 = baseline;
        Map<String, byte[]> v2 = classes(JarMaker.compile(dir.resolve(id + "-patched.jar"), sources(fees, late), List.of(), 11));
        PackageManifest.Builder m = PackageManifest.builder().id(id).title("Fix fee rounding " + id)
                .classification(Classification.SECURITY).cves(List.of("CVE-2026-1234")).published(Instant.now())
                .supersedes(supersedes);
        for (String name : List.of("acme/Fees", "acme/Late")) {
            if (!java.util.Arrays.equals(v1.get(name), v2.get(name))) {
                m.addClass(ClassPatch.replace(name, Sha256.hex(v1.get(name)), v2.get(name)));
            }
        }
        Path out = dir.resolve(id + ".hotpatch");
        PackageWriter.write(m.build(), signer, out);
        return out;
    }

    Path pkg(String id, String fees, String late) throws IOException {
        return pkg(id, fees, late, List.of(), key);
    }

    static Map<String, byte[]> classes(Path jar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (JarFile j = new JarFile(jar.toFile())) {
            for (var e : java.util.Collections.list(j.entries())) {
                if (e.getName().endsWith(".class")) {
                    try (InputStream in = j.getInputStream(e)) {
                        out.put(e.getName().substring(0, e.getName().length() - 6), in.readAllBytes());
                    }
                }
            }
        }
        return out;
    }

    /** Attaches to {@code jvm}, loading the agent if it is not there yet, and sends one request. */
    Message send(TargetJvm jvm, String... keyValues) {
        return send(socket(jvm), Message.of(keyValues));
    }

    Path socket(TargetJvm jvm) {
        try {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(jvm.pid()));
            try {
                String socket = vm.getSystemProperties().getProperty("hotpatch.agent.socket");
                if (socket == null) {
                    vm.loadAgent(agentJar.toString(), "");
                    socket = vm.getSystemProperties().getProperty("hotpatch.agent.socket");
                }
                assertThat(socket).as("agent socket property").isNotNull();
                return Path.of(socket);
            } finally {
                vm.detach();
            }
        } catch (Exception e) {
            throw new AssertionError("cannot reach the agent in " + jvm + ": " + e, e);
        }
    }

    static Message send(Path socket, Message request) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            OutputStream out = Channels.newOutputStream(c);
            request.writeTo(out);
            return Message.readFrom(Channels.newInputStream(c));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Message apply(TargetJvm jvm, Path pkg) {
        return send(jvm, "op", "apply", "package", pkg.toString(), "trust", keyDir.toString(), "actor", "test");
    }

    /** Assembles the agent jar like the shade plugin: agent classes, format classes, agent manifest. */
    static Path buildAgentJar(Path out) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Premain-Class", HotpatchAgent.class.getName());
        a.putValue("Agent-Class", HotpatchAgent.class.getName());
        a.putValue("Can-Redefine-Classes", "true");
        a.putValue("Can-Retransform-Classes", "false");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out), mf)) {
            copyTree(location(HotpatchAgent.class), jar);
            copyTree(location(PackageManifest.class), jar);
        }
        return out;
    }

    private static Path location(Class<?> k) {
        try {
            return Path.of(k.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void copyTree(Path root, JarOutputStream jar) throws IOException {
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    String name = root.relativize(f).toString().replace('\\', '/');
                    if (name.endsWith(".class")) {
                        jar.putNextEntry(new ZipEntry(name));
                        jar.write(Files.readAllBytes(f));
                        jar.closeEntry();
                    }
                }
            }
        } else {
            try (JarFile j = new JarFile(root.toFile())) {
                for (var e : java.util.Collections.list(j.entries())) {
                    if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF")) {
                        jar.putNextEntry(new ZipEntry(e.getName()));
                        try (InputStream in = j.getInputStream(e)) {
                            in.transferTo(jar);
                        }
                        jar.closeEntry();
                    }
                }
            }
        }
    }
}
