package dev.hotpatch.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.format.CertificateFingerprint;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Baselines and restart updates are signed by a trusted publisher, like hotpatches, and nodes are told where the signature is. */
class SignedReleasesTest {

    @BothStores
    void publishBaseline_refusesUnsignedUntrustedTamperedAndMismatchedDescriptors_andStoresNothing(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        byte[] jar11 = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV2, "acme/Util", scene.util));
        Map<String, byte[]> jars = Map.of("fees-1.1.jar", jar11);

        TestServer.Response r = scene.publishBaseline("1.1", "unplanned", "2026-02-03", jar11, false, null);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("unsigned-release");
        assertThat(r.json().get("message").asText()).contains("baseline 1.1").contains("signed release descriptor");
        assertThat(r.json().get("hint").asText()).contains("--key");

        byte[] stranger = Fixtures.baselineDescriptor(Fixtures.strangerKey(), Scene.IMAGE, "1.1", "unplanned", jars);
        r = scene.publishBaseline("1.1", "unplanned", "2026-02-03", jar11, false, stranger);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("untrusted-release");
        assertThat(r.json().get("message").asText()).contains("CN=Stranger")
                .contains(CertificateFingerprint.of(Fixtures.strangerKey().certificate()));

        byte[] good = Fixtures.baselineDescriptor(Fixtures.trustedKey(), Scene.IMAGE, "1.1", "unplanned", jars);
        byte[] tampered = rewriteEntry(good, text -> text.replace("kind=unplanned", "kind=planned"));
        r = scene.publishBaseline("1.1", "unplanned", "2026-02-03", jar11, false, tampered);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("tampered-release");
        assertThat(r.json().get("message").asText()).contains("modified after signing");

        byte[] otherJar = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV3, "acme/Util", scene.util));
        r = scene.publishBaseline("1.1", "unplanned", "2026-02-03", otherJar, false, good);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("release-mismatch");
        assertThat(r.json().get("message").asText()).contains("is not one the publisher signed").contains("was not uploaded")
                .contains(CertificateFingerprint.of(Fixtures.trustedKey().certificate()));

        r = scene.publishBaseline("1.2", "unplanned", "2026-02-03", jar11, false, good);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("message").asText()).contains("version is '1.2' here but '1.1' in the signed descriptor");

        r = scene.publishBaseline("1.1", "planned", "2026-02-03", jar11, false, good);
        assertThat(r.json().get("message").asText()).contains("kind is 'planned' here but 'unplanned'");

        assertThat(s.get("/api/v1/images/" + scene.imageId + "/baselines", s.adminToken).json()).hasSize(1);

        r = scene.publishBaseline("1.1", "unplanned", "2026-02-03", jar11, false, good);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().at("/descriptor/signer").asText()).isEqualTo("CN=Test Publisher");
        assertThat(r.json().at("/descriptor/certificateSha256").asText())
                .isEqualTo(CertificateFingerprint.hex(Fixtures.trustedKey().certificate()));
        assertThat(s.download(r.json().at("/descriptor/downloadUrl").asText(), s.adminToken)).isEqualTo(good);
    }

    @BothStores
    void publishBaseline_takesVersionAndKindFromTheDescriptor_whenTheRequestLeavesThemOut(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        byte[] jar11 = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV2, "acme/Util", scene.util));
        byte[] d = Fixtures.baselineDescriptor(Fixtures.trustedKey(), Scene.IMAGE, "1.1", "unplanned", Map.of("fees-1.1.jar", jar11));
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("releasedOn", "2026-02-03");
        parts.put("jar", new TestServer.FilePart("fees-1.1.jar", jar11));
        parts.put("descriptor", new TestServer.FilePart("fees-1.1.release", d));
        TestServer.Response r = s.postMultipart("/api/v1/images/" + scene.imageId + "/baselines", s.adminToken, parts);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("version").asText()).isEqualTo("1.1");
        assertThat(r.json().get("kind").asText()).isEqualTo("unplanned");
    }

    @BothStores
    void publishRestartUpdate_needsASignedDescriptorMatchingItsArtifact(TestServer s) throws Exception {
        new Scene(s);
        Map<String, Object> meta = Map.of("kbId", "KB2026-0100", "image", Scene.IMAGE, "title", "Driver", "classification", "Critical",
                "rebootBehavior", "AlwaysRequiresReboot");
        TestServer.Response r = s.post("/api/v1/updates", s.adminToken, meta);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("unsigned-release");
        assertThat(r.json().get("hint").asText()).contains("hotpatch update publish --key");

        byte[] artifact = "driver bytes".getBytes();
        byte[] signedForOther = Fixtures.updateDescriptor(Fixtures.trustedKey(), Scene.IMAGE, "KB2026-0100",
                RebootBehavior.ALWAYS_REQUIRES_REBOOT, "driver.jar", "other bytes".getBytes());
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("metadata", TestServer.JSON.writeValueAsString(meta));
        parts.put("descriptor", new TestServer.FilePart("u.release", signedForOther));
        parts.put("artifact", new TestServer.FilePart("driver.jar", artifact));
        r = s.postMultipart("/api/v1/updates", s.adminToken, parts);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("release-mismatch");
        assertThat(r.json().get("message").asText()).contains("artifact driver.jar");
        assertThat(s.get("/api/v1/updates", s.adminToken).json()).isEmpty();

        r = Fixtures.publishRestartUpdate(s, meta, "driver.jar", artifact);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("signer").asText()).isEqualTo("CN=Test Publisher");
        assertThat(r.json().at("/descriptor/downloadUrl").asText()).startsWith("/api/v1/blobs/");
        assertThat(r.json().at("/artifact/sha256").asText()).isEqualTo(Fixtures.sha(artifact));
    }

    @BothStores
    void installCommands_carryTheDescriptor_andLegacyUnsignedBaselinesAreMatchedButNeverSentToANode(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        byte[] jar20 = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV3, "acme/Util", scene.util));
        assertThat(scene.publishBaseline("2.0", "planned", "2026-04-01", jar20, false).status()).isEqualTo(201);
        // Both baselines as an older server stored them: no descriptor.
        assertThat(s.sql("UPDATE baselines SET descriptor_sha256 = NULL, signer = NULL, signer_sha256 = NULL")).isEqualTo(2);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> on10 = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(on10);
        JsonNode m = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(m.get("baselineVersion").asText()).as("still matched").isEqualTo("1.0");
        assertThat(m.get("status").asText()).isEqualTo("ActionRequired");

        JsonNode op = s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of("reboot", "Never")).json();
        assertThat(op.get("state").asText()).isEqualTo("failed");
        assertThat(op.at("/items/0/state").asText()).isEqualTo("failed");
        assertThat(op.at("/items/0/reason").asText()).contains("published before baselines were signed").contains("baseline sign --attach");
        assertThat(Node.commands(node.checkIn(on10))).isEmpty();
        assertThat(s.get("/api/v1/machines/billing-1/history?action=install", s.adminToken).json().findValuesAsText("outcome")).contains("refused");

        // A publisher attaches the signed descriptor; now the baseline is installable and the command says where the signature is.
        String id20 = s.get("/api/v1/images/" + scene.imageId + "/baselines", s.adminToken).json().get(1).get("id").asText();
        byte[] wrong = Fixtures.baselineDescriptor(Fixtures.trustedKey(), Scene.IMAGE, "2.0", "planned", Map.of("fees-2.0.jar", scene.jar10));
        TestServer.Response bad = s.putBytes("/api/v1/baselines/" + id20 + "/descriptor", s.adminToken, wrong);
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("error").asText()).isEqualTo("release-mismatch");
        byte[] d20 = Fixtures.baselineDescriptor(Fixtures.trustedKey(), Scene.IMAGE, "2.0", "planned", Map.of("fees-2.0.jar", jar20));
        TestServer.Response attached = s.putBytes("/api/v1/baselines/" + id20 + "/descriptor", s.adminToken, d20);
        assertThat(attached.status()).as(attached.body()).isEqualTo(200);
        assertThat(attached.json().at("/descriptor/signer").asText()).isEqualTo("CN=Test Publisher");
        assertThat(s.putBytes("/api/v1/baselines/" + id20 + "/descriptor", s.adminToken, d20).status()).isEqualTo(409);

        s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of());
        List<JsonNode> cmds = Node.commands(node.checkIn(on10));
        assertThat(cmds).extracting(c -> c.get("type").asText()).containsExactly("install_baseline", "restart");
        assertThat(cmds.get(0).at("/payload/descriptor/sha256").asText()).isEqualTo(Fixtures.sha(d20));
        assertThat(s.download(cmds.get(0).at("/payload/descriptor/downloadUrl").asText(), node.credential)).isEqualTo(d20);
        node.result(cmds.get(0).get("id").asText(), "succeeded", "swapped", null);
        node.result(cmds.get(1).get("id").asText(), "succeeded", "restarted", Fixtures.machine("billing-1", jar20, List.of(), null));

        // Rolling back to 1.0, still unsigned, is refused with the way out.
        TestServer.Response rb = s.post("/api/v1/machines/billing-1/rollback-baseline", s.adminToken, "");
        assertThat(rb.status()).isEqualTo(422);
        assertThat(rb.json().get("error").asText()).isEqualTo("unsigned-baseline");
        assertThat(rb.json().get("hint").asText()).contains("--attach");
    }

    /** The same zip with the descriptor entry's text edited; the signature files are left as they were. */
    private static byte[] rewriteEntry(byte[] zip, java.util.function.UnaryOperator<String> edit) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip));
             java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(out)) {
            for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] data = in.readAllBytes();
                z.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                z.write(e.getName().equals("HOTPATCH-INF/release.properties") ? edit.apply(new String(data)).getBytes() : data);
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }
}
