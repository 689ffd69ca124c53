-- When a ticket handed over by 110 closes, report the outcome back to 110 through the outbox,
-- in the same transaction as the close, whichever code path closed it.

CREATE FUNCTION enqueue_110_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO linkage_outbox (ticket_id, kind, idempotency_key, payload)
    VALUES (NEW.id, 'outcome', 'outcome:' || NEW.ticket_no || ':' || NEW.reopen_count,
            jsonb_build_object(
                'incident_no', NEW.police_incident_no,
                'ticket_no', NEW.ticket_no,
                'status', NEW.status,
                'resolution', NEW.resolution,
                'solved', NEW.claimed_solved,
                'closed_at', now()))
    ON CONFLICT (idempotency_key) DO NOTHING;
    RETURN NEW;
END $$;

CREATE TRIGGER tickets_110_outcome AFTER UPDATE OF status ON tickets
    FOR EACH ROW WHEN (NEW.status = 'closed' AND OLD.status <> 'closed' AND NEW.police_incident_no IS NOT NULL)
    EXECUTE FUNCTION enqueue_110_outcome();
