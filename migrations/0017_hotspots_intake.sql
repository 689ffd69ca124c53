-- #16 part 2, intake side: the text sketch intake's candidates compare, and the reply/reopen texts to every
-- caller of a merged matter. (A second 0017 file: 0017_hotspots.sql had landed when these were added.)
BEGIN;

-- MinHash signature of the request's text (classifier.similarity.sketch): 64 x uint16, written by intake.
-- NULL for tickets registered before it existed (GET /candidates compares texts themselves).
ALTER TABLE tickets ADD COLUMN text_sketch bytea CHECK (octet_length(text_sketch) = 128);

-- The reply and the reopen reach every requester of a matter: when a lead ticket is replied or reopened,
-- each caller folded into it (追加/并单, not undone) with another mobile number gets the same text, about
-- the lead's reply (ticket_id is the lead: its survey link and round), quoting the caller's own ticket
-- number. One text per number and round. A trigger of its own beside tickets_requester_sms (0016).
CREATE FUNCTION enqueue_folded_callers_sms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    IF NEW.reopen_count > OLD.reopen_count THEN
        kind := 'reopened';
    ELSIF NEW.status = 'replied' AND OLD.status <> 'replied' THEN
        kind := 'replied';
    ELSE
        RETURN NULL;
    END IF;
    INSERT INTO sms_outbox (ticket_id, kind, idempotency_key, phone, params)
    SELECT DISTINCT ON (f.requester_phone) NEW.id, kind,
           'sms:' || kind || ':' || NEW.ticket_no || ':' || NEW.reopen_count || ':' || f.ticket_no,
           f.requester_phone,
           jsonb_build_object('ticket_no', f.ticket_no, 'lead_ticket_no', NEW.ticket_no, 'round', NEW.reopen_count,
                              'folded_ticket_id', f.id)
    FROM tickets f
    WHERE f.merged_into = NEW.id AND f.requester_phone ~ '^1[3-9][0-9]{9}$'
      AND f.requester_phone IS DISTINCT FROM NEW.requester_phone
    ORDER BY f.requester_phone, f.id
    ON CONFLICT (idempotency_key) DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER tickets_folded_callers_sms AFTER UPDATE OF status, reopen_count ON tickets
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status OR NEW.reopen_count IS DISTINCT FROM OLD.reopen_count)
    EXECUTE FUNCTION enqueue_folded_callers_sms();

COMMIT;
