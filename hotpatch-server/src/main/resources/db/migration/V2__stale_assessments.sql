-- Machines whose assessment is out of date because the catalog changed: set in the publishing
-- transaction, cleared by whichever replica re-assesses the machine.
ALTER TABLE machines ADD COLUMN stale BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX machines_stale ON machines (stale);
