-- The automation run (every few seconds) fingerprints each image's machines by code digest,
-- status and baseline. On SQLite those columns are stored after the report, so reading them read
-- every machine's report: with this index the fingerprint reads the index alone.
CREATE INDEX machines_image_fingerprint ON machines (image_id, id, code_digest, status, baseline_id);
