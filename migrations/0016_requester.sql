-- The requester's side (#17): the status lookup code (only its salted hash is kept).
BEGIN;

-- 16 bytes of salt followed by sha256(salt || code); NULL for tickets registered before lookups existed.
ALTER TABLE tickets ADD COLUMN lookup_code_hash bytea;

COMMIT;
