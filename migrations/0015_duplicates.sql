-- Repeat calls and merged tickets (#16): 追加, 并单, 关联 and their undo.
BEGIN;

-- A ticket closed as a repeat call (追加) or merged (并单) points at its lead ticket; the lead
-- counts the repeat calls it received. Both columns move together (undo clears them).
ALTER TABLE tickets
    ADD COLUMN merged_into  bigint REFERENCES tickets (id),
    ADD COLUMN closed_as    text CHECK (closed_as IN ('repeat','merged')),
    ADD COLUMN repeat_calls int NOT NULL DEFAULT 0 CHECK (repeat_calls >= 0),
    ADD CONSTRAINT tickets_merged_has_lead CHECK ((closed_as IS NULL) = (merged_into IS NULL)),
    ADD CONSTRAINT tickets_not_merged_into_itself CHECK (merged_into <> id);

-- Candidate search: the same caller's recent tickets. The only index intake now maintains for it;
-- county + category + time use the existing tickets_county / tickets_created indexes (a few days
-- of one county), so no more write cost on the intake path.
CREATE INDEX tickets_phone_created ON tickets (requester_phone, created_at) WHERE requester_phone <> '';
CREATE INDEX tickets_merged_into ON tickets (merged_into) WHERE merged_into IS NOT NULL;

-- Every 追加 / 并单 / 关联 between two tickets; undo stamps undone_at (rows are never deleted).
CREATE TABLE ticket_links (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets (id),     -- the call folded in (or linked from)
    lead_id     bigint NOT NULL REFERENCES tickets (id),     -- the ticket it was folded into (or linked to)
    kind        text NOT NULL CHECK (kind IN ('repeat','merged','link')),
    reason      text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    actor_id    int REFERENCES api_tokens (id),
    undone_at   timestamptz,
    undo_reason text,
    CHECK (ticket_id <> lead_id)
);
CREATE UNIQUE INDEX ticket_links_active ON ticket_links (ticket_id, lead_id) WHERE undone_at IS NULL;
CREATE INDEX ticket_links_lead ON ticket_links (lead_id) WHERE undone_at IS NULL;

-- The new status changes of routing.workflow.VALID_TRANSITIONS (追加/并单 close a call, 撤销并单 reopens
-- it to triage); tests/api/test_workflow.py checks 0003 plus these against the Python list.
INSERT INTO ticket_transitions (from_status, to_status) VALUES
    ('closed', 'triage'),
    ('dispatched', 'closed'),
    ('in_progress', 'closed'),
    ('received', 'closed'),
    ('returned', 'closed'),
    ('signed', 'closed'),
    ('triage', 'closed');

COMMIT;
