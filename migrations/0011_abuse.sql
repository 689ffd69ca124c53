-- Token expiry and instant revocation (#21 item 7).
BEGIN;

ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;

-- Any change to a token (revoked, expiry moved, deleted) is announced to every worker of every
-- node, which drops the token from its in-process cache at once (hotline/revocation.py).
CREATE FUNCTION api_tokens_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hotline_tokens', encode(OLD.token_hash, 'hex'));
    RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_announce AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION api_tokens_announce();

COMMIT;
