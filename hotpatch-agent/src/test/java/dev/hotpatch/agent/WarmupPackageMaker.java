package dev.hotpatch.agent;

import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.SigningKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Re-signs the agent's warm-up package (see {@link Warmup}) with a new key and destroys the key:
 * run it when the package format or the default key type changes, so that the warm-up verifies
 * what an apply verifies. The content (one empty added class) is kept as it is.
 *
 * <pre>
 * mvn -q -o -pl hotpatch-agent -am test-compile
 * java -cp hotpatch-agent/target/test-classes:hotpatch-agent/target/classes:hotpatch-format/target/classes \
 *     dev.hotpatch.agent.WarmupPackageMaker hotpatch-agent/src/main/resources/dev/hotpatch/agent/warmup
 * </pre>
 */
public final class WarmupPackageMaker {
    private WarmupPackageMaker() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: WarmupPackageMaker <folder holding warmup.hotpatch and signer.crt>");
        }
        Path folder = Path.of(args[0]);
        Path pkg = folder.resolve("warmup.hotpatch");
        PackageManifest manifest = HotpatchPackage.read(pkg, true).manifest();
        Path keyDir = Files.createTempDirectory("warmup-key-");
        try {
            SigningKey key = SigningKey.generate(keyDir.resolve("key"), "CN=Hotpatch agent warm-up - key destroyed - trusted for nothing");
            Path out = keyDir.resolve("warmup.hotpatch");
            PackageWriter.write(manifest, key, out);
            Files.copy(out, pkg, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(keyDir.resolve("key").resolve(SigningKey.CERTIFICATE), folder.resolve("signer.crt"), StandardCopyOption.REPLACE_EXISTING);
            System.out.println("re-signed " + pkg + " with a new " + key.keyDescription() + " key, now destroyed");
        } finally {
            try (Stream<Path> s = Files.walk(keyDir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
