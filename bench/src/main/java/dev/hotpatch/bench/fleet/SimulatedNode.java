package dev.hotpatch.bench.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.util.Map;

/**
 * A lightweight stand-in for one node daemon: it enrolls with a one-time enrollment token like the
 * real daemon, then checks in with fixed bodies (its machines' reports with their digests, or the
 * digests alone, each serialised once) and nothing else: no discovery, no agent, no command execution. Commands in an answer are counted,
 * never run. Not thread-safe: one thread drives a node at a time, as the daemon does.
 */
final class SimulatedNode {
    final String hostname;
    final String nodeId;
    final int machines;
    final int bodyBytes;
    final int digestBodyBytes;
    private final ApiClient api;
    private final HttpRequest checkIn;
    private final HttpRequest digestCheckIn;
    private long commandsSeen;

    private SimulatedNode(ApiClient api, String hostname, String nodeId, String credential, byte[] body, byte[] digestBody, int machines) {
        this.api = api;
        this.hostname = hostname;
        this.nodeId = nodeId;
        this.machines = machines;
        this.bodyBytes = body.length;
        this.digestBodyBytes = digestBody.length;
        this.checkIn = api.prepare("POST", "/api/v1/node/check-in", credential, body, "application/json");
        this.digestCheckIn = api.prepare("POST", "/api/v1/node/check-in", credential, digestBody, "application/json");
    }

    /** Enrolls node {@code hostname}, reporting machines {@code first} … {@code first + count - 1} of {@code scene}. */
    static SimulatedNode enroll(FleetServer server, Scene scene, String hostname, int first, int count) {
        ApiClient api = server.api;
        String token = api.postJson("/api/v1/enrollment-tokens", server.adminToken, Map.of("name", hostname))
                .expect(201, "enrollment token for " + hostname).json().get("token").asText();
        JsonNode e = api.postJson("/api/v1/node/enroll", token, Map.of("hostname", hostname, "nodeVersion", "0.1.0"))
                .expect(201, "enroll " + hostname).json();
        return new SimulatedNode(api, hostname, e.get("nodeId").asText(), e.get("credential").asText(),
                scene.checkInBody(hostname, first, count, true), scene.digestBody(hostname, first, count, 100), count);
    }

    /** The prepared check-in request (same bytes every time), for load loops that time the raw send. */
    HttpRequest checkInRequest() {
        return checkIn;
    }

    /**
     * The prepared steady-state check-in of a node that sends digests: every machine unchanged,
     * its health as in the last one (same bytes every time).
     */
    HttpRequest digestCheckInRequest() {
        return digestCheckIn;
    }

    /** Checks in once (in full, with digests) and returns the answer, which must be 200. */
    JsonNode checkIn() {
        JsonNode answer = api.send(checkIn).expect(200, "check-in of " + hostname).json();
        commandsSeen += answer.get("commands").size();
        return answer;
    }

    long commandsSeen() {
        return commandsSeen;
    }
}
