-- The node's digest of the report stored in machines.report (check-in protocol, "report digests"):
-- a node that holds the same digest sends only it, with the machine's health, instead of the whole
-- report. NULL when the stored report came without one (an older node, or a command result's
-- report): the next digest the node sends then differs, and the server asks for the full report.
ALTER TABLE machines ADD COLUMN report_digest VARCHAR(64);
