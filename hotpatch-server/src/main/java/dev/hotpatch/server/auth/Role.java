package dev.hotpatch.server.auth;

import dev.hotpatch.server.ServerException;
import java.util.Locale;

/**
 * What an operator token may do. {@code reader} sees everything; {@code operator} also acts on
 * machines (assess, install, uninstall, rollback, enrollment tokens); {@code publisher} also changes
 * the catalog; {@code admin} may do all of that and manage tokens.
 */
public enum Role {
    READER, OPERATOR, PUBLISHER, ADMIN;

    /** Whether this role may do what {@code needed} may. Operator and publisher are separate duties; admin holds both. */
    public boolean allows(Role needed) {
        if (this == needed || this == ADMIN || needed == READER) {
            return true;
        }
        return false;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role parse(String s) {
        if (s != null) {
            for (Role r : values()) {
                if (r.label().equalsIgnoreCase(s.trim())) {
                    return r;
                }
            }
        }
        throw new ServerException.BadRequest("invalid-role", "role '" + s + "' is not one of reader, operator, publisher, admin",
                "pass role=reader|operator|publisher|admin");
    }
}
