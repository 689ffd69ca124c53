-- Handling workflow: the database refuses status changes the state machine does not allow.
--
-- The pairs below are routing.workflow.VALID_TRANSITIONS, pasted from
--   python3 -c "from routing.workflow import transitions_sql; print(transitions_sql())"
-- tests/api/test_workflow.py checks that this table, this file and the Python list agree,
-- so a change to the state machine needs a new migration that rewrites the table.
-- Inserts are not checked: intake creates tickets directly in received, triage,
-- dispatched or transferred.

CREATE TABLE ticket_transitions (
    from_status ticket_status NOT NULL,
    to_status   ticket_status NOT NULL,
    PRIMARY KEY (from_status, to_status),
    CHECK (from_status <> to_status)
);

INSERT INTO ticket_transitions (from_status, to_status) VALUES
    ('closed', 'dispatched'),
    ('dispatched', 'returned'),
    ('dispatched', 'signed'),
    ('in_progress', 'dispatched'),
    ('in_progress', 'replied'),
    ('received', 'dispatched'),
    ('received', 'transferred'),
    ('received', 'triage'),
    ('replied', 'closed'),
    ('replied', 'dispatched'),
    ('returned', 'dispatched'),
    ('signed', 'dispatched'),
    ('signed', 'in_progress'),
    ('signed', 'replied'),
    ('signed', 'returned'),
    ('triage', 'dispatched'),
    ('triage', 'transferred');

CREATE FUNCTION check_ticket_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ticket_transitions
                   WHERE from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'invalid ticket status change % -> % (ticket %)', OLD.status, NEW.status, OLD.id
            USING ERRCODE = 'check_violation', HINT = 'see routing.workflow.VALID_TRANSITIONS';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER tickets_valid_transition BEFORE UPDATE OF status ON tickets
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION check_ticket_transition();

-- Queues read only the open items.
CREATE INDEX ticket_returns_queue ON ticket_returns (id) WHERE decision IS NULL;
CREATE INDEX extension_requests_queue ON extension_requests (id) WHERE state = 'pending';
CREATE INDEX ticket_units_support ON ticket_units (unit_id, ticket_id) WHERE active AND role = 'support';
