-- Automatic patching (issue 6): policies, machine signals, rollouts in waves, quarantines, ring
-- approvals. Same portable types as V1 (times in epoch milliseconds, lists and documents as JSON text).

-- Settings by scope, inherited machine > group > image > fleet. document: JSON of the fields set.
CREATE TABLE policies (
    scope      VARCHAR(10) NOT NULL,
    ref        VARCHAR(200) NOT NULL,
    document   TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by VARCHAR(200) NOT NULL,
    PRIMARY KEY (scope, ref)
);

-- What the node last observed about each machine besides its code: the JVM's identity, its health
-- counters, whether the agent answered, the hotpatches the agent quarantined. Written with the report.
CREATE TABLE machine_signals (
    machine_id        VARCHAR(40) PRIMARY KEY REFERENCES machines (id),
    pid               BIGINT,
    started_at        BIGINT,
    health_state      VARCHAR(20),
    health_checked_at BIGINT,
    health_detail     TEXT,
    health_samples    BIGINT,
    health_failures   BIGINT,
    agent_present     BOOLEAN NOT NULL,
    agent_reachable   BOOLEAN,
    quarantined       TEXT,
    quarantine_count  INTEGER NOT NULL,
    reported_at       BIGINT NOT NULL
);
CREATE INDEX machine_signals_quarantine ON machine_signals (quarantine_count);

-- One update or baseline going to every eligible machine in waves.
-- state: running, halted, completed, canceled.
CREATE TABLE rollouts (
    id                    VARCHAR(40) PRIMARY KEY,
    kind                  VARCHAR(20) NOT NULL,
    image_id              VARCHAR(40) NOT NULL REFERENCES images (id),
    target                VARCHAR(64) NOT NULL,
    ring                  VARCHAR(64),
    origin                VARCHAR(20) NOT NULL,
    state                 VARCHAR(20) NOT NULL,
    created_at            BIGINT NOT NULL,
    created_by            VARCHAR(200) NOT NULL,
    updated_at            BIGINT NOT NULL,
    completed_at          BIGINT,
    current_wave          INTEGER NOT NULL,
    wave_count            INTEGER NOT NULL,
    machine_count         INTEGER NOT NULL,
    halt_reason           TEXT,
    halted_at             BIGINT,
    failures_acknowledged INTEGER NOT NULL,
    settings              TEXT NOT NULL
);
CREATE INDEX rollouts_state ON rollouts (state, created_at);
CREATE INDEX rollouts_target ON rollouts (image_id, target, ring);

-- state: pending, running, completed, halted, canceled.
CREATE TABLE rollout_waves (
    rollout_id   VARCHAR(40) NOT NULL REFERENCES rollouts (id),
    wave         INTEGER NOT NULL,
    phase        INTEGER NOT NULL,
    description  TEXT NOT NULL,
    machine_count INTEGER NOT NULL,
    state        VARCHAR(20) NOT NULL,
    started_at   BIGINT,
    completed_at BIGINT,
    PRIMARY KEY (rollout_id, wave)
);

-- One machine of a rollout. state: pending, installing, soaking, healthy, failed, rolling_back,
-- rolled_back, not_attempted, quarantined, skipped, canceled. The pre_* columns are the health
-- counters of the JVM when its install was issued (the pre-patch failure rate).
CREATE TABLE rollout_machines (
    rollout_id       VARCHAR(40) NOT NULL REFERENCES rollouts (id),
    machine_id       VARCHAR(40) NOT NULL REFERENCES machines (id),
    machine_name     VARCHAR(200) NOT NULL,
    wave             INTEGER NOT NULL,
    position         INTEGER NOT NULL,
    region           VARCHAR(100),
    zone             VARCHAR(100),
    availability_set VARCHAR(200),
    update_domain    INTEGER,
    grp              VARCHAR(200),
    state            VARCHAR(20) NOT NULL,
    done             BOOLEAN NOT NULL,
    reason           TEXT,
    attempts         INTEGER NOT NULL,
    operation_id     VARCHAR(40),
    rollback_op_id   VARCHAR(40),
    from_baseline    VARCHAR(40),
    next_try_at      BIGINT,
    window_end       BIGINT,
    started_at       BIGINT,
    installed_at     BIGINT,
    soak_until       BIGINT,
    completed_at     BIGINT,
    pre_pid          BIGINT,
    pre_started_at   BIGINT,
    pre_samples      BIGINT,
    pre_failures     BIGINT,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, machine_id)
);
CREATE INDEX rollout_machines_wave ON rollout_machines (rollout_id, wave, done);
CREATE INDEX rollout_machines_machine ON rollout_machines (machine_id, done);

-- A rollout's own log: waves started and finished, halts, resumes, gate verdicts.
CREATE TABLE rollout_events (
    id         VARCHAR(40) PRIMARY KEY,
    rollout_id VARCHAR(40) NOT NULL REFERENCES rollouts (id),
    at         BIGINT NOT NULL,
    wave       INTEGER,
    machine_id VARCHAR(40),
    kind       VARCHAR(30) NOT NULL,
    actor      VARCHAR(200) NOT NULL,
    message    TEXT NOT NULL
);
CREATE INDEX rollout_events_rollout ON rollout_events (rollout_id, at);

-- An update blocked for an image because an agent quarantined it. state: active, cleared.
CREATE TABLE quarantines (
    id            VARCHAR(40) PRIMARY KEY,
    image_id      VARCHAR(40) NOT NULL REFERENCES images (id),
    kb_id         VARCHAR(64) NOT NULL,
    state         VARCHAR(20) NOT NULL,
    machine_id    VARCHAR(40) NOT NULL,
    machine_name  VARCHAR(200) NOT NULL,
    since         BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    detected_at   BIGINT NOT NULL,
    cleared_at    BIGINT,
    cleared_by    VARCHAR(200),
    clear_note    TEXT
);
CREATE INDEX quarantines_image ON quarantines (image_id, kb_id, state);

-- Ring approvals: an update (or baseline) may go automatically to a ring of an image from approved_at.
CREATE TABLE ring_approvals (
    image_id    VARCHAR(40) NOT NULL REFERENCES images (id),
    target      VARCHAR(64) NOT NULL,
    ring        VARCHAR(64) NOT NULL,
    approved_at BIGINT NOT NULL,
    approved_by VARCHAR(200) NOT NULL,
    how         VARCHAR(20) NOT NULL,
    PRIMARY KEY (image_id, target, ring)
);
