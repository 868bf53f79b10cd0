-- What rollout planning needs of each machine's report (issue 9): its config, the ids of the
-- hotpatches it runs, when its JVM started and whether its agent answered about quarantines, as a
-- few hundred bytes of JSON written with every changed report. Planning read and parsed every
-- report (10-40 KiB with class hashes) of an image inside its write transaction. Machines recorded
-- before this table existed are filled in by the automatic patching run, and planning reads the
-- report of a machine without a row, so nothing depends on the fill having run.
CREATE TABLE machine_planning (
    machine_id VARCHAR(40) PRIMARY KEY REFERENCES machines (id),
    facts      TEXT NOT NULL
);
