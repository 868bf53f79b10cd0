-- Machines waiting to be re-assessed after a catalog change, as rows of their own: marking a whole
-- image's fleet stale inserts one small row per machine instead of rewriting every machine row
-- (on SQLite an update rewrites the whole row, report included), so a publish holds the write
-- lock briefly. Replaces machines.stale, which stays unused.
CREATE TABLE stale_machines (
    machine_id VARCHAR(40) PRIMARY KEY REFERENCES machines (id)
);
INSERT INTO stale_machines (machine_id) SELECT id FROM machines WHERE stale = TRUE;
UPDATE machines SET stale = FALSE WHERE stale = TRUE;
