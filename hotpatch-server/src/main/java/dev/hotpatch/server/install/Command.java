package dev.hotpatch.server.install;

import java.time.Instant;
import java.util.Map;

/**
 * Work the server hands a node at check-in, for one machine. Types: {@code assess},
 * {@code install_hotpatch}, {@code install_update}, {@code install_baseline},
 * {@code uninstall_hotpatch}, {@code restart}. Delivered at least once: until the node posts a
 * result, the command is delivered again after {@code leaseUntil}; nodes must treat a repeat as a
 * no-op. Commands of one machine are delivered in order, and a later one only after the earlier
 * ones have results.
 */
public record Command(String id, String type, String machine, String machineId, String operationId, int attempt, Instant issuedAt,
                      Instant leaseUntil, Map<String, Object> payload) {
    public static final String ASSESS = "assess";
    public static final String INSTALL_HOTPATCH = "install_hotpatch";
    public static final String INSTALL_UPDATE = "install_update";
    public static final String INSTALL_BASELINE = "install_baseline";
    public static final String UNINSTALL_HOTPATCH = "uninstall_hotpatch";
    public static final String RESTART = "restart";
}
