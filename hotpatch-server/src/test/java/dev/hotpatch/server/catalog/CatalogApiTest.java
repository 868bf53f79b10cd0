package dev.hotpatch.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

class CatalogApiTest {

    @BothStores
    void publish_imageBaselineAndHotpatch_storesHashesAndServesThePackage(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        JsonNode baseline = s.get("/api/v1/baselines/" + scene.baseline10, s.adminToken).json();
        assertThat(baseline.get("rebootBehavior").asText()).isEqualTo("AlwaysRequiresReboot");
        assertThat(baseline.get("classCount").asInt()).isEqualTo(2);
        assertThat(baseline.at("/jars/0/sha256").asText()).isEqualTo(Fixtures.sha(scene.jar10));
        assertThat(s.download(baseline.at("/jars/0/downloadUrl").asText(), s.adminToken)).isEqualTo(scene.jar10);

        TestServer.Response hp = scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        assertThat(hp.status()).as(hp.body()).isEqualTo(201);
        assertThat(hp.json().get("kind").asText()).isEqualTo("hotpatch");
        assertThat(hp.json().get("baselineId").asText()).isEqualTo(scene.baseline10);
        assertThat(hp.json().get("signer").asText()).contains("CN=Test Publisher");
        assertThat(hp.json().get("cves").get(0).asText()).isEqualTo("CVE-2026-1234");
        assertThat(hp.json().at("/classes/0/baselineSha256").asText()).isEqualTo(Fixtures.sha(scene.feesV1));
        byte[] pkg = s.download(hp.json().at("/artifact/downloadUrl").asText(), s.adminToken);
        assertThat(Fixtures.sha(pkg)).isEqualTo(hp.json().at("/artifact/sha256").asText());

        JsonNode image = s.get("/api/v1/images/acme:fees:1.x", s.adminToken).json();
        assertThat(image.get("currentBaselineVersion").asText()).isEqualTo("1.0");
        assertThat(s.get("/api/v1/updates?image=" + scene.imageId, s.adminToken).json()).hasSize(1);

        // hotpatch build's default baseline id is "sha256:" + 16 hex digits of the baseline jar's hash.
        String builderDefault = "sha256:" + Fixtures.sha(scene.jar10).substring(0, 16);
        TestServer.Response next = scene.publishHotpatch("KB2026-0002", builderDefault, "2026-02-11", scene.feesV1, scene.feesV3,
                List.of("KB2026-0001"), true);
        assertThat(next.status()).as(next.body()).isEqualTo(201);
        assertThat(next.json().get("baselineId").asText()).isEqualTo(scene.baseline10);
    }

    @BothStores
    void publish_refusesUntrustedUnsignedAndMalformedPackages_andStoresNothing(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        List<ClassPatch> classes = List.of(ClassPatch.replace("acme/Fees", Fixtures.sha(scene.feesV1), scene.feesV2));
        Instant feb = Instant.parse("2026-02-10T12:00:00Z");

        byte[] untrusted = Fixtures.hotpatch(Fixtures.strangerKey(), "KB2026-0666", Scene.IMAGE, "1.0", feb, classes, List.of());
        TestServer.Response r = s.postMultipart("/api/v1/updates", s.adminToken, Map.of("package", new TestServer.FilePart("x.hotpatch", untrusted)));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("untrusted-package");
        assertThat(r.json().get("message").asText()).contains("CN=Stranger");
        assertThat(r.json().get("hint").asText()).isNotBlank();

        byte[] unsigned = Fixtures.unsignedHotpatch("KB2026-0667", Scene.IMAGE, "1.0", feb, classes);
        r = s.postBytes("/api/v1/updates", s.adminToken, "application/octet-stream", unsigned);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("unsigned-package");

        r = s.postBytes("/api/v1/updates", s.adminToken, "application/octet-stream", "not a zip at all".getBytes());
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("malformed-package");

        byte[] good = Fixtures.hotpatch(Fixtures.trustedKey(), "KB2026-0668", Scene.IMAGE, "1.0", feb, classes, List.of());
        byte[] tampered = replaceEntry(good, "HOTPATCH-INF/classes/acme/Fees.class", Fixtures.cls("acme/Fees evil"));
        r = s.postBytes("/api/v1/updates", s.adminToken, "application/octet-stream", tampered);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isIn("tampered-package", "malformed-package");

        assertThat(s.get("/api/v1/updates", s.adminToken).json()).isEmpty();
        assertThat(s.get("/api/v1/images/" + scene.imageId + "/schedule?year=2026", s.adminToken).at("/months/1/actual").asText()).isEqualTo("none");
    }

    @BothStores
    void publish_refusesAPackageBuiltAgainstOtherBytes_orSupersedingAnUnknownKb(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        TestServer.Response r = scene.publishHotpatch("KB2026-0002", "1.0", "2026-02-10", Fixtures.cls("someone else's Fees"), scene.feesV2,
                List.of(), false);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("class-hash-mismatch");
        assertThat(r.json().get("message").asText()).contains("acme.Fees").contains(Fixtures.sha(scene.feesV1));

        r = scene.publishHotpatch("KB2026-0003", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of("KB1999-0001"), false);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("unknown-kb");

        r = scene.publishHotpatch("KB2026-0004", "9.9", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("unknown-baseline");
        assertThat(s.get("/api/v1/updates", s.adminToken).json()).isEmpty();

        assertThat(scene.publishHotpatch("KB2026-0005", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status()).isEqualTo(201);
        r = scene.publishHotpatch("KB2026-0005", "1.0", "2026-03-10", scene.feesV1, scene.feesV2, List.of(), false);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.json().get("error").asText()).isEqualTo("duplicate-kb");
    }

    @BothStores
    void publish_restartUpdateWithItsSignedDescriptor_andRefusesALiveOneWithoutPackage(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        TestServer.Response r = Fixtures.publishRestartUpdate(s, Map.of("kbId", "KB2026-0100", "image", Scene.IMAGE,
                "title", "Logging library update", "classification", "Updates", "rebootBehavior", "CanRequestReboot"), null, null);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("kind").asText()).isEqualTo("restart");
        assertThat(r.json().get("baselineId").asText()).isEqualTo(scene.baseline10);

        r = s.post("/api/v1/updates", s.adminToken, Map.of("kbId", "KB2026-0101", "image", Scene.IMAGE,
                "title", "Sneaky", "classification", "Security", "rebootBehavior", "NeverReboots"));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("live-update-needs-package");
    }

    @BothStores
    void publish_refusesAJarThatIsNotAJar(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        byte[] garbage = "garbage".getBytes();
        TestServer.Response r = scene.publishBaseline("2.0", "planned", "2026-04-02", garbage, false,
                Fixtures.baselineDescriptor(Fixtures.trustedKey(), Scene.IMAGE, "2.0", "planned", Map.of("fees-2.0.jar", garbage)));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("malformed-jar");
        assertThat(s.get("/api/v1/images/" + scene.imageId + "/baselines", s.adminToken).json()).hasSize(1);
    }

    /** The same zip with one entry's content swapped; the signature files are left as they were. */
    private static byte[] replaceEntry(byte[] zip, String name, byte[] content) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip));
             java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(out)) {
            for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] data = in.readAllBytes();
                z.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                z.write(e.getName().equals(name) ? content : data);
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }
}
