-- Baselines and restart updates carry the publisher's signed release descriptor (a blob, by
-- SHA-256) and who signed it. Rows from before this migration have none: they are kept for
-- matching and assessment, but nodes never install them until a publisher attaches a descriptor.
ALTER TABLE baselines ADD COLUMN descriptor_sha256 CHAR(64);
ALTER TABLE baselines ADD COLUMN signer TEXT;
ALTER TABLE baselines ADD COLUMN signer_sha256 CHAR(64);
ALTER TABLE updates ADD COLUMN descriptor_sha256 CHAR(64);
ALTER TABLE updates ADD COLUMN signer_sha256 CHAR(64);

-- Blob content in 1 MiB chunks, so uploads and downloads stream instead of holding a whole jar in
-- memory. Blobs stored before this migration keep their content in blobs.content (chunked = FALSE).
ALTER TABLE blobs ADD COLUMN chunked BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE blob_chunks (
    sha256 CHAR(64) NOT NULL,
    seq    INTEGER NOT NULL,
    data   ${blob_type} NOT NULL,
    PRIMARY KEY (sha256, seq)
);
