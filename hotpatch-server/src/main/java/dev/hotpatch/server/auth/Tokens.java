package dev.hotpatch.server.auth;

import dev.hotpatch.format.Sha256;
import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Ids;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Credentials: operator API tokens, one-time enrollment tokens, and the credentials nodes receive
 * when they enroll. Only SHA-256 hashes of secrets are stored; a secret is shown once, when it is
 * created. The secret's prefix tells its kind ({@code hpt_} operator, {@code hpe_} enrollment,
 * {@code hpn_} node). Thread-safe.
 */
public final class Tokens {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}");
    private static final String ADMIN_FILE = "admin.token";

    private final Database db;
    private final Clock clock;

    public Tokens(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** An operator token as listed (never with its secret). */
    public record ApiToken(String id, String name, String role, Instant createdAt, String createdBy, Instant revokedAt) {
    }

    /** A token just created, with its secret: the only time the secret is available. */
    public record Issued(String id, String name, String role, String token, Instant expiresAt) {
    }

    /** An enrolled node. */
    public record Node(String id, String hostname, String version, Instant enrolledAt, Instant lastSeenAt, Instant revokedAt) {
    }

    /** A node credential, returned once by enrollment. */
    public record Enrolled(String nodeId, String credential) {
    }

    public Issued createApiToken(String name, Role role, String createdBy) {
        String n = name(name);
        String secret = Ids.secret("hpt");
        Instant now = clock.instant();
        String id = Ids.next("tok", now);
        db.txRun(h -> h.createUpdate("INSERT INTO api_tokens (id, name, role, token_hash, created_at, created_by)"
                        + " VALUES (:id, :n, :r, :h, :t, :by)")
                .bind("id", id).bind("n", n).bind("r", role.label()).bind("h", Sha256.hex(bytes(secret)))
                .bind("t", now.toEpochMilli()).bind("by", createdBy).execute());
        return new Issued(id, n, role.label(), secret, null);
    }

    public List<ApiToken> apiTokens() {
        return db.read(h -> h.createQuery("SELECT id, name, role, created_at, created_by, revoked_at FROM api_tokens ORDER BY created_at")
                .map((rs, ctx) -> new ApiToken(rs.getString(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)),
                        rs.getString(5), rs.getObject(6) == null ? null : Instant.ofEpochMilli(rs.getLong(6))))
                .list());
    }

    public void revokeApiToken(String id) {
        int n = db.tx(h -> h.createUpdate("UPDATE api_tokens SET revoked_at = :t WHERE id = :id AND revoked_at IS NULL")
                .bind("t", clock.millis()).bind("id", id).execute());
        if (n == 0) {
            throw new ServerException.NotFound("active token", id, "list tokens with GET /api/v1/tokens");
        }
    }

    /**
     * On the first start of a fresh database, creates an admin token and writes it to
     * {@code dataDir/admin.token}, readable by its owner only. Of several replicas starting together
     * exactly one does it. Returns the file when this call created it.
     */
    public Optional<Path> bootstrapAdmin(Path dataDir, PrintStream out) {
        Instant now = clock.instant();
        boolean first = db.tx(h -> h.createUpdate("INSERT INTO settings (name, value) VALUES ('admin-bootstrap', :t)"
                        + " ON CONFLICT (name) DO NOTHING")
                .bind("t", now.toString()).execute() == 1);
        if (!first) {
            return Optional.empty();
        }
        Issued admin = createApiToken("admin", Role.ADMIN, "bootstrap");
        Path file = dataDir.resolve(ADMIN_FILE);
        try {
            Files.createDirectories(dataDir);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            } catch (FileAlreadyExistsException e) {
                // A token file from an earlier database in this folder: replace its content, keep it owner-only.
                try {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // Not POSIX.
                }
            }
            Files.writeString(file, admin.token() + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the admin token to " + file + ": " + e.getMessage(), e);
        }
        out.println("hotpatch server: created the administrator token; it is in " + file.toAbsolutePath() + " (readable by its owner only)");
        return Optional.of(file);
    }

    public Issued createEnrollmentToken(String name, Duration ttl, String createdBy) {
        String n = name == null || name.isBlank() ? "enrollment" : name(name);
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(Duration.ofDays(30)) > 0) {
            throw new ServerException.BadRequest("invalid-ttl", "an enrollment token lives between 1 minute and 30 days",
                    "pass expiresInMinutes between 1 and 43200");
        }
        String secret = Ids.secret("hpe");
        Instant now = clock.instant();
        String id = Ids.next("enr", now);
        Instant expires = now.plus(ttl);
        db.txRun(h -> h.createUpdate("INSERT INTO enrollment_tokens (id, name, token_hash, created_at, created_by, expires_at)"
                        + " VALUES (:id, :n, :h, :t, :by, :x)")
                .bind("id", id).bind("n", n).bind("h", Sha256.hex(bytes(secret))).bind("t", now.toEpochMilli())
                .bind("by", createdBy).bind("x", expires.toEpochMilli()).execute());
        return new Issued(id, n, "enrollment", secret, expires);
    }

    /** Exchanges a one-time enrollment token for a node credential; the token is used up. */
    public Enrolled enroll(Principal enrollment, String hostname, String version) {
        if (hostname == null || hostname.isBlank() || hostname.length() > 255) {
            throw new ServerException.BadRequest("missing-hostname", "enrollment needs the node's hostname", "send {\"hostname\": …}");
        }
        Instant now = clock.instant();
        String nodeId = Ids.next("node", now);
        String credential = Ids.secret("hpn");
        db.txRun(h -> {
            int used = h.createUpdate("UPDATE enrollment_tokens SET used_at = :t, used_by = :n WHERE id = :id AND used_at IS NULL AND expires_at > :t")
                    .bind("t", now.toEpochMilli()).bind("n", nodeId).bind("id", enrollment.id()).execute();
            if (used != 1) {
                throw new ServerException.Unauthenticated("the enrollment token was used or expired meanwhile",
                        "ask an operator for a new one (POST /api/v1/enrollment-tokens)");
            }
            h.createUpdate("INSERT INTO nodes (id, hostname, version, credential_hash, enrolled_at, enrolled_with, last_seen_at)"
                            + " VALUES (:id, :host, :v, :h, :t, :e, :t)")
                    .bind("id", nodeId).bind("host", hostname.trim()).bind("v", version == null ? "" : version)
                    .bind("h", Sha256.hex(bytes(credential))).bind("t", now.toEpochMilli()).bind("e", enrollment.id()).execute();
        });
        return new Enrolled(nodeId, credential);
    }

    public List<Node> nodes() {
        return db.read(h -> h.createQuery("SELECT id, hostname, version, enrolled_at, last_seen_at, revoked_at FROM nodes ORDER BY hostname")
                .map((rs, ctx) -> new Node(rs.getString(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)),
                        rs.getObject(5) == null ? null : Instant.ofEpochMilli(rs.getLong(5)),
                        rs.getObject(6) == null ? null : Instant.ofEpochMilli(rs.getLong(6))))
                .list());
    }

    public void revokeNode(String id) {
        int n = db.tx(h -> h.createUpdate("UPDATE nodes SET revoked_at = :t WHERE id = :id AND revoked_at IS NULL")
                .bind("t", clock.millis()).bind("id", id).execute());
        if (n == 0) {
            throw new ServerException.NotFound("active node", id, "list nodes with GET /api/v1/nodes");
        }
    }

    /** Who holds {@code bearer}; throws {@link ServerException.Unauthenticated} for an unknown, revoked or expired secret. */
    public Principal authenticate(String bearer) {
        if (bearer == null || bearer.isBlank()) {
            throw new ServerException.Unauthenticated("this call needs a credential",
                    "send 'Authorization: Bearer TOKEN' (the admin token is in the server's data folder, admin.token)");
        }
        String hash = Sha256.hex(bytes(bearer.trim()));
        long now = clock.millis();
        Optional<Principal> p = db.read(h -> {
            if (bearer.startsWith("hpt_")) {
                return h.createQuery("SELECT id, name, role FROM api_tokens WHERE token_hash = :h AND revoked_at IS NULL")
                        .bind("h", hash)
                        .map((rs, ctx) -> new Principal(Principal.OPERATOR, rs.getString(1), rs.getString(2), Role.parse(rs.getString(3))))
                        .findOne();
            } else if (bearer.startsWith("hpn_")) {
                return h.createQuery("SELECT id, hostname FROM nodes WHERE credential_hash = :h AND revoked_at IS NULL")
                        .bind("h", hash)
                        .map((rs, ctx) -> new Principal(Principal.NODE, rs.getString(1), rs.getString(2), null))
                        .findOne();
            } else if (bearer.startsWith("hpe_")) {
                return h.createQuery("SELECT id, name FROM enrollment_tokens WHERE token_hash = :h AND used_at IS NULL AND expires_at > :t")
                        .bind("h", hash).bind("t", now)
                        .map((rs, ctx) -> new Principal(Principal.ENROLLMENT, rs.getString(1), rs.getString(2), null))
                        .findOne();
            }
            return Optional.empty();
        });
        if (p.isEmpty() && bearer.startsWith("hpe_")) {
            throw enrollmentRefusal(hash);
        }
        return p.orElseThrow(() -> new ServerException.Unauthenticated("the credential is unknown, revoked, used up or expired",
                "use a valid API token (hpt_…), node credential (hpn_…) or unused enrollment token (hpe_…)"));
    }

    /**
     * Why an enrollment token was refused: used, expired or unknown. Only a caller holding the
     * secret learns this, and it tells a node operator what to do instead of retrying forever.
     */
    private ServerException enrollmentRefusal(String hash) {
        Optional<long[]> row = db.read(h -> h.createQuery("SELECT used_at, expires_at FROM enrollment_tokens WHERE token_hash = :h")
                .bind("h", hash)
                .map((rs, ctx) -> new long[] {rs.getObject(1) == null ? -1 : rs.getLong(1), rs.getLong(2)})
                .findOne());
        String fix = "ask an operator for a new one-time token ('hotpatch token enroll')";
        if (row.isEmpty()) {
            return new ServerException.Unauthenticated("the enrollment token is not one this server issued (mistyped, or from another"
                    + " server)", fix + " and check the node's --server");
        }
        if (row.get()[0] >= 0) {
            return new ServerException.Unauthenticated("the enrollment token was already used, at " + Instant.ofEpochMilli(row.get()[0])
                    + "; each token enrolls one node once", fix + "; a node that enrolled keeps its credential in its data folder");
        }
        return new ServerException.Unauthenticated("the enrollment token expired at " + Instant.ofEpochMilli(row.get()[1]), fix + " (tokens live 24 h unless created with a longer expiry)");
    }

    private static String name(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ServerException.BadRequest("invalid-name", "name '" + name + "' is not valid",
                    "use 1–100 letters, digits, spaces, '.', '_', '@' or '-'");
        }
        return name;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
