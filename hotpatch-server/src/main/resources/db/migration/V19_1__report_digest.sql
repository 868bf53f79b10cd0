-- The node's digest of the report stored in machines.report (check-in protocol, "report digests"):
-- a node that holds the same digest sends only it, with the machine's health, instead of the whole
-- report. NULL when the stored report came without one (an older node, or a command result's
-- report): the next digest the node sends then differs, and the server asks for the full report.
ALTER TABLE machines ADD COLUMN report_digest VARCHAR(64);

-- What a check-in reads of each machine of its node, in one index: on SQLite a machine row holds
-- its report (tens of KiB), and reading a column stored after it means reading the report too.
CREATE INDEX machines_node_check_in ON machines (node_id, name, id, present, report_digest, assessed_at);
