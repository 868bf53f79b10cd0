package dev.hotpatch.server.auth;

/**
 * Who is calling: an operator token (with its role), an enrolled node, or an enrollment token
 * about to be exchanged for a node credential.
 *
 * @param kind {@code operator}, {@code node} or {@code enrollment}
 * @param id   token id or node id
 * @param name token name or node host name, as history records it
 * @param role operator role; null for nodes and enrollment tokens
 */
public record Principal(String kind, String id, String name, Role role) {
    public static final String OPERATOR = "operator";
    public static final String NODE = "node";
    public static final String ENROLLMENT = "enrollment";

    /** The actor as history records it, e.g. {@code token:alice} or {@code node:host-1}. */
    public String actor() {
        return (OPERATOR.equals(kind) ? "token:" : kind + ":") + name;
    }
}
