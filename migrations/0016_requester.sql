-- The requester's side (#17): the status lookup code (only its salted hash is kept).
BEGIN;

-- 16 bytes of salt followed by sha256(salt || code); NULL for tickets registered before lookups existed.
ALTER TABLE tickets ADD COLUMN lookup_code_hash bytea;


-- SMS to requesters through an outbox (hotline/requester/sms.py): written with the event that causes it,
-- sent by a worker through the gateway with the row's idempotency key; texts come from the templates
-- file at send time. params may hold a secret (the query code, the survey token) until the message is sent.
CREATE TABLE sms_outbox (
    id              bigserial PRIMARY KEY,
    ticket_id       bigint NOT NULL REFERENCES tickets (id),
    kind            text NOT NULL CHECK (kind IN ('accepted', 'replied', 'reopened')),
    idempotency_key text NOT NULL UNIQUE,
    phone           text NOT NULL,
    params          jsonb NOT NULL DEFAULT '{}',
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'skipped')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    remote_ref      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX sms_outbox_due ON sms_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX sms_outbox_ticket ON sms_outbox (ticket_id);

-- A reply and a reopen text the requester, whichever code path made them (mobile numbers only).
CREATE FUNCTION enqueue_requester_sms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    IF NEW.requester_phone !~ '^1[3-9][0-9]{9}$' THEN
        RETURN NULL;
    END IF;
    IF NEW.reopen_count > OLD.reopen_count THEN
        kind := 'reopened';
    ELSIF NEW.status = 'replied' AND OLD.status <> 'replied' THEN
        kind := 'replied';
    ELSE
        RETURN NULL;
    END IF;
    INSERT INTO sms_outbox (ticket_id, kind, idempotency_key, phone, params)
    VALUES (NEW.id, kind, 'sms:' || kind || ':' || NEW.ticket_no || ':' || NEW.reopen_count, NEW.requester_phone,
            jsonb_build_object('ticket_no', NEW.ticket_no, 'round', NEW.reopen_count))
    ON CONFLICT (idempotency_key) DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER tickets_requester_sms AFTER UPDATE OF status, reopen_count ON tickets
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status OR NEW.reopen_count IS DISTINCT FROM OLD.reopen_count)
    EXECUTE FUNCTION enqueue_requester_sms();

-- 差评处置: an unsatisfied callback result (phone or link) opens a bad review; a supervisor rules it
-- valid or not with a reason; a valid one needs the unit's rectification by a working-day deadline,
-- a real-name one (the requester gave a name) a reply to the requester (hotline/reviews).
CREATE TABLE bad_reviews (
    id            bigserial PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    round         int NOT NULL,
    unit_id       int REFERENCES units (id),        -- the unit whose reply was rated
    via           text NOT NULL,
    comment       text NOT NULL DEFAULT '',
    real_name     boolean NOT NULL,
    opened_at     timestamptz NOT NULL DEFAULT now(),
    ruling        text NOT NULL DEFAULT 'pending' CHECK (ruling IN ('pending', 'valid', 'invalid')),
    ruling_reason text NOT NULL DEFAULT '',
    ruled_by      int REFERENCES api_tokens (id),
    ruled_at      timestamptz,
    rectify_by    timestamptz,
    rectification text NOT NULL DEFAULT '',
    rectified_by  int REFERENCES api_tokens (id),
    rectified_at  timestamptz,
    reply         text NOT NULL DEFAULT '',
    replied_by    int REFERENCES api_tokens (id),
    replied_at    timestamptz,
    UNIQUE (ticket_id, round),
    CHECK ((ruling = 'valid') = (rectify_by IS NOT NULL))
);
CREATE INDEX bad_reviews_open ON bad_reviews (opened_at);

CREATE FUNCTION open_bad_review() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bad_reviews (ticket_id, round, unit_id, via, comment, real_name, opened_at)
    SELECT NEW.ticket_id, NEW.round, NEW.unit_id, NEW.via, NEW.comment, t.requester_name <> '', NEW.at
    FROM tickets t WHERE t.id = NEW.ticket_id
    ON CONFLICT (ticket_id, round) DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER callback_results_bad_review AFTER INSERT ON callback_results
    FOR EACH ROW WHEN (NEW.outcome = 'reached' AND NEW.satisfaction = 'unsatisfied')
    EXECUTE FUNCTION open_bad_review();

COMMIT;
