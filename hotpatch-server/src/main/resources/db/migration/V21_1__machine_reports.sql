-- Each machine's last full report (JSON, 10-40 KiB with class hashes) in a table of its own. In
-- machines.report it made every machine-row write a rewrite of the report on SQLite (an UPDATE
-- rewrites the whole row), so re-assessing a fleet after a publish rewrote the database; the
-- machine row is now a few hundred bytes. Reports are copied before the column is dropped.
CREATE TABLE machine_reports (
    machine_id VARCHAR(40) PRIMARY KEY REFERENCES machines (id),
    report     TEXT NOT NULL
);
INSERT INTO machine_reports (machine_id, report) SELECT id, report FROM machines;
-- SQLite (3.35+) drops a column that no index, key or constraint names, as here, in place.
ALTER TABLE machines DROP COLUMN report;
