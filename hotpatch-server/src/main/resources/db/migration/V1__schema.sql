-- The control plane's whole state. One schema for SQLite and PostgreSQL: portable types only
-- (times are epoch milliseconds in BIGINT, dates ISO text, lists and documents JSON text);
-- ${blob_type} is the one placeholder (BLOB on SQLite, BYTEA on PostgreSQL).

CREATE TABLE settings (
    name  VARCHAR(100) PRIMARY KEY,
    value TEXT NOT NULL
);

-- Named leases: one replica at a time runs a periodic duty.
CREATE TABLE leases (
    name       VARCHAR(100) PRIMARY KEY,
    holder     VARCHAR(100) NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Content-addressed files nodes download: baseline jars, packages, update artifacts.
CREATE TABLE blobs (
    sha256     CHAR(64) PRIMARY KEY,
    size       BIGINT NOT NULL,
    media_type VARCHAR(100) NOT NULL,
    content    ${blob_type} NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE images (
    id                 VARCHAR(40) PRIMARY KEY,
    publisher          VARCHAR(64) NOT NULL,
    offer              VARCHAR(64) NOT NULL,
    sku                VARCHAR(64) NOT NULL,
    hotpatch_supported BOOLEAN NOT NULL,
    hotpatch_default   BOOLEAN NOT NULL,
    cadence_months     INTEGER NOT NULL,
    cadence_anchor     INTEGER NOT NULL,
    created_at         BIGINT NOT NULL,
    created_by         VARCHAR(200) NOT NULL,
    UNIQUE (publisher, offer, sku)
);

CREATE TABLE baselines (
    id               VARCHAR(40) PRIMARY KEY,
    image_id         VARCHAR(40) NOT NULL REFERENCES images (id),
    version          VARCHAR(100) NOT NULL,
    kind             VARCHAR(20) NOT NULL,
    released_on      VARCHAR(10) NOT NULL,
    kb_id            VARCHAR(64),
    title            VARCHAR(300) NOT NULL,
    classification   VARCHAR(20) NOT NULL,
    cves             TEXT NOT NULL,
    release_override BOOLEAN NOT NULL,
    created_at       BIGINT NOT NULL,
    created_by       VARCHAR(200) NOT NULL,
    UNIQUE (image_id, version)
);
CREATE INDEX baselines_image ON baselines (image_id, released_on);

CREATE TABLE baseline_jars (
    baseline_id VARCHAR(40) NOT NULL REFERENCES baselines (id),
    position    INTEGER NOT NULL,
    file_name   VARCHAR(255) NOT NULL,
    sha256      CHAR(64) NOT NULL,
    size        BIGINT NOT NULL,
    class_count INTEGER NOT NULL,
    PRIMARY KEY (baseline_id, sha256)
);
CREATE INDEX baseline_jars_sha ON baseline_jars (sha256);

CREATE TABLE baseline_classes (
    baseline_id VARCHAR(40) NOT NULL REFERENCES baselines (id),
    class_name  VARCHAR(500) NOT NULL,
    sha256      CHAR(64) NOT NULL,
    jar_sha256  CHAR(64) NOT NULL,
    PRIMARY KEY (baseline_id, class_name)
);
CREATE INDEX baseline_classes_sha ON baseline_classes (sha256);

CREATE TABLE updates (
    kb_id            VARCHAR(64) PRIMARY KEY,
    image_id         VARCHAR(40) NOT NULL REFERENCES images (id),
    baseline_id      VARCHAR(40) NOT NULL REFERENCES baselines (id),
    kind             VARCHAR(20) NOT NULL,
    title            VARCHAR(300) NOT NULL,
    classification   VARCHAR(20) NOT NULL,
    severity         VARCHAR(40) NOT NULL,
    cves             TEXT NOT NULL,
    reboot_behavior  VARCHAR(30) NOT NULL,
    published_at     BIGINT NOT NULL,
    supersedes       TEXT NOT NULL,
    artifact_sha256  CHAR(64),
    artifact_name    VARCHAR(255),
    artifact_size    BIGINT,
    signer           TEXT,
    release_override BOOLEAN NOT NULL,
    created_at       BIGINT NOT NULL,
    created_by       VARCHAR(200) NOT NULL
);
CREATE INDEX updates_baseline ON updates (baseline_id);
CREATE INDEX updates_image ON updates (image_id, published_at);

CREATE TABLE update_classes (
    kb_id           VARCHAR(64) NOT NULL REFERENCES updates (kb_id),
    class_name      VARCHAR(500) NOT NULL,
    kind            VARCHAR(10) NOT NULL,
    baseline_sha256 CHAR(64),
    sha256          CHAR(64) NOT NULL,
    PRIMARY KEY (kb_id, class_name)
);
CREATE INDEX update_classes_sha ON update_classes (sha256);

CREATE TABLE api_tokens (
    id         VARCHAR(40) PRIMARY KEY,
    name       VARCHAR(100) NOT NULL,
    role       VARCHAR(20) NOT NULL,
    token_hash CHAR(64) NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    created_by VARCHAR(200) NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE enrollment_tokens (
    id          VARCHAR(40) PRIMARY KEY,
    name        VARCHAR(100) NOT NULL,
    token_hash  CHAR(64) NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    created_by  VARCHAR(200) NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    used_by     VARCHAR(40)
);

CREATE TABLE nodes (
    id              VARCHAR(40) PRIMARY KEY,
    hostname        VARCHAR(255) NOT NULL,
    version         VARCHAR(100) NOT NULL,
    credential_hash CHAR(64) NOT NULL UNIQUE,
    enrolled_at     BIGINT NOT NULL,
    enrolled_with   VARCHAR(40) NOT NULL,
    last_seen_at    BIGINT,
    revoked_at      BIGINT
);

CREATE TABLE machines (
    id                  VARCHAR(40) PRIMARY KEY,
    name                VARCHAR(200) NOT NULL UNIQUE,
    node_id             VARCHAR(40) NOT NULL REFERENCES nodes (id),
    first_seen_at       BIGINT NOT NULL,
    last_seen_at        BIGINT NOT NULL,
    present             BOOLEAN NOT NULL,
    report              TEXT NOT NULL,
    code_digest         CHAR(64) NOT NULL,
    image_id            VARCHAR(40),
    baseline_id         VARCHAR(40),
    last_good_baseline  VARCHAR(40),
    match_detail        TEXT,
    status              VARCHAR(30) NOT NULL,
    status_reason       TEXT,
    assessed_at         BIGINT,
    missing_total       INTEGER NOT NULL,
    missing_critical    INTEGER NOT NULL,
    missing_security    INTEGER NOT NULL,
    missing_other       INTEGER NOT NULL,
    missing_updates     TEXT NOT NULL
);
CREATE INDEX machines_node ON machines (node_id);
CREATE INDEX machines_image ON machines (image_id);
CREATE INDEX machines_status ON machines (status);

-- Every baseline a machine has been seen running: the source of "last known good".
CREATE TABLE machine_baselines (
    machine_id    VARCHAR(40) NOT NULL REFERENCES machines (id),
    baseline_id   VARCHAR(40) NOT NULL REFERENCES baselines (id),
    first_seen_at BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    PRIMARY KEY (machine_id, baseline_id)
);

CREATE TABLE operations (
    id           VARCHAR(40) PRIMARY KEY,
    type         VARCHAR(30) NOT NULL,
    machine_id   VARCHAR(40) NOT NULL REFERENCES machines (id),
    state        VARCHAR(30) NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   VARCHAR(200) NOT NULL,
    deadline_at  BIGINT NOT NULL,
    completed_at BIGINT,
    request      TEXT NOT NULL,
    message      TEXT
);
CREATE INDEX operations_machine ON operations (machine_id, created_at);
CREATE INDEX operations_state ON operations (state, deadline_at);

CREATE TABLE operation_items (
    operation_id   VARCHAR(40) NOT NULL REFERENCES operations (id),
    position       INTEGER NOT NULL,
    kb_id          VARCHAR(64) NOT NULL,
    title          VARCHAR(300) NOT NULL,
    classification VARCHAR(20) NOT NULL,
    reboot_behavior VARCHAR(30) NOT NULL,
    state          VARCHAR(30) NOT NULL,
    reason         TEXT,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (operation_id, position)
);

-- Work for nodes. Claimed with a conditional UPDATE (state and lease in the WHERE clause), so
-- concurrent check-ins on any replica deliver a command to one caller only; an expired lease
-- makes it deliverable again (at-least-once; every command is idempotent on the node).
CREATE TABLE commands (
    id           VARCHAR(40) PRIMARY KEY,
    machine_id   VARCHAR(40) NOT NULL REFERENCES machines (id),
    operation_id VARCHAR(40) REFERENCES operations (id),
    position     INTEGER NOT NULL,
    item_position INTEGER,
    type         VARCHAR(30) NOT NULL,
    payload      TEXT NOT NULL,
    state        VARCHAR(20) NOT NULL,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT,
    delivered_to VARCHAR(40),
    lease_until  BIGINT,
    attempts     INTEGER NOT NULL,
    completed_at BIGINT,
    result       TEXT
);
CREATE INDEX commands_machine ON commands (machine_id, state);
CREATE INDEX commands_operation ON commands (operation_id);

-- Append-only: rows are inserted, and deleted only by retention; never updated.
CREATE TABLE history (
    id           VARCHAR(40) PRIMARY KEY,
    at           BIGINT NOT NULL,
    machine_id   VARCHAR(40),
    machine_name VARCHAR(200) NOT NULL,
    node         VARCHAR(255),
    action       VARCHAR(30) NOT NULL,
    kb_id        VARCHAR(64),
    actor        VARCHAR(200) NOT NULL,
    outcome      VARCHAR(30) NOT NULL,
    details      TEXT NOT NULL,
    operation_id VARCHAR(40)
);
CREATE INDEX history_machine ON history (machine_id, at);
CREATE INDEX history_at ON history (at);
