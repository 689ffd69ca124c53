-- The requester's side (#17), second part: attachments on tickets (hotline/attachments).
-- The file itself lives in the configured store (local disk under the state dir, or S3-compatible);
-- this row is what the service knows of it: the type found in its content, its size and SHA-256,
-- who added it and why. The name the client gave is kept for display only, never as a path.
BEGIN;

CREATE TABLE attachments (
    id            bigserial PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    purpose       text NOT NULL CHECK (purpose IN ('intake', 'evidence')),
    kind          text NOT NULL CHECK (kind IN ('photo', 'audio', 'document')),
    media_type    text NOT NULL,
    size_bytes    bigint NOT NULL CHECK (size_bytes > 0),
    sha256        bytea NOT NULL CHECK (length(sha256) = 32),
    filename      text NOT NULL,
    storage       text NOT NULL CHECK (storage IN ('local', 's3')),
    storage_key   text NOT NULL UNIQUE,
    unit_id       int REFERENCES units (id),            -- the handler's unit for evidence
    uploaded_by   int REFERENCES api_tokens (id),
    uploaded_role api_role,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_ticket ON attachments (ticket_id, id);

COMMIT;
