-- The console's fleet search (issue 7): where each machine runs (region, zone, tags), copied out of
-- its reported config (JSON in machines.report) with every changed report, so that filters, counts
-- and pages are SQL over small indexed rows instead of parsing 10,000 reports per page. Machines
-- recorded before this table existed are filled in by the first fleet query.
CREATE TABLE machine_placement (
    machine_id  VARCHAR(40) PRIMARY KEY REFERENCES machines (id),
    region      VARCHAR(200),
    zone        VARCHAR(200),
    tags        TEXT NOT NULL
);
CREATE INDEX machine_placement_region ON machine_placement (region, zone);

CREATE TABLE machine_tags (
    machine_id VARCHAR(40) NOT NULL REFERENCES machines (id),
    tag_key    VARCHAR(200) NOT NULL,
    tag_value  VARCHAR(1000) NOT NULL,
    PRIMARY KEY (machine_id, tag_key)
);
CREATE INDEX machine_tags_key ON machine_tags (tag_key, tag_value);
