-- Escalation sweep and reports.

-- A step happens once per (ticket, tier, step) *per clock*. assign() starts a new
-- clock (re-dispatch 改派, uphold, reopen 重办) and clears escalation_steps, so the
-- ladder may run again at the same tier; clock_start (= tickets.dispatched_at of the
-- clock the step belongs to) keeps those apart while two sweepers racing on the same
-- clock still collide on the key.
ALTER TABLE escalations
    ADD COLUMN clock_start timestamptz NOT NULL DEFAULT '-infinity',
    ADD COLUMN reason      text NOT NULL DEFAULT '',
    ADD COLUMN to_unit_id  int REFERENCES units (id);        -- 提级: the unit one tier up
ALTER TABLE escalations DROP CONSTRAINT escalations_ticket_id_tier_step_key;
ALTER TABLE escalations ADD CONSTRAINT escalations_once UNIQUE (ticket_id, tier, step, clock_start);
CREATE INDEX escalations_unit_step ON escalations (unit_id, step);

-- The overdue report reads open tickets past their reply deadline only.
CREATE INDEX tickets_open_reply_by ON tickets (reply_by)
    WHERE status IN ('dispatched', 'signed', 'in_progress') AND reply_by IS NOT NULL;
