package dev.hotpatch.server.api;

import dev.hotpatch.server.auth.Role;
import io.javalin.security.RouteRole;

/** Who may call a route: nobody needs a credential ({@link #PUBLIC}), an operator role, a node, or an enrollment token. */
enum Access implements RouteRole {
    PUBLIC(null), READER(Role.READER), OPERATOR(Role.OPERATOR), PUBLISHER(Role.PUBLISHER), ADMIN(Role.ADMIN),
    /** An enrolled node's credential. */
    NODE(null),
    /** A one-time enrollment token. */
    ENROLLMENT(null),
    /** A node, or an operator with at least the reader role (downloads). */
    NODE_OR_READER(Role.READER);

    final Role role;

    Access(Role role) {
        this.role = role;
    }

    String describe() {
        return switch (this) {
            case PUBLIC -> "none";
            case NODE -> "node credential";
            case ENROLLMENT -> "enrollment token";
            case NODE_OR_READER -> "node credential or reader token";
            default -> role.label() + " token";
        };
    }
}
