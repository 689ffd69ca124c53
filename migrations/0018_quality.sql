-- The requester's side (#17), third part: chasing overdue rectifications, and 质检 of evaluation results.
BEGIN;

-- 差评整改催办: the escalation sweep warns (整改预警) and chases (整改催办) a valid bad review whose
-- rectification is not in (routing/data/rectify_ladder.csv). Like tickets.escalation_steps /
-- next_escalation_at: the steps taken, and when the next falls due (NULL: nothing left to chase).
ALTER TABLE bad_reviews
    ADD COLUMN chase_steps   text[] NOT NULL DEFAULT '{}',
    ADD COLUMN next_chase_at timestamptz;
CREATE INDEX bad_reviews_next_chase ON bad_reviews (next_chase_at) WHERE next_chase_at IS NOT NULL;
-- Reviews ruled valid before this migration and still not rectified: chased from the next sweep on.
UPDATE bad_reviews SET next_chase_at = ruled_at WHERE ruling = 'valid' AND rectified_at IS NULL;

-- 质检: suspicious evaluation results, flagged by checks (hotline/reviews/quality.py). A flagged result
-- keeps counting in the rates until a supervisor rules on the flag; a flag upheld takes the result out
-- of the rates (excluded_at, and its counts out of the rollup) and leaves it on the record.
ALTER TABLE callback_results ADD COLUMN excluded_at timestamptz;
CREATE INDEX callback_results_actor ON callback_results (actor_id, at) WHERE via = 'phone';

CREATE TABLE rating_flags (
    id                 bigserial PRIMARY KEY,
    callback_result_id bigint NOT NULL REFERENCES callback_results (id),
    ticket_id          bigint NOT NULL REFERENCES tickets (id),
    unit_id            int REFERENCES units (id),
    check_code         text NOT NULL CHECK (check_code IN ('same_phone', 'before_reply', 'rapid_callbacks')),
    detail             jsonb NOT NULL DEFAULT '{}',
    flagged_at         timestamptz NOT NULL DEFAULT now(),
    ruling             text NOT NULL DEFAULT 'pending' CHECK (ruling IN ('pending', 'upheld', 'dismissed')),
    ruling_reason      text NOT NULL DEFAULT '',
    ruled_by           int REFERENCES api_tokens (id),
    ruled_at           timestamptz,
    UNIQUE (callback_result_id, check_code)
);
CREATE INDEX rating_flags_flagged ON rating_flags (flagged_at);

-- Take one reached result out of the rates: mark it and subtract what rollup_callbacks_trigger added
-- (under the ticket's current area and category). False when it was already out.
CREATE FUNCTION exclude_callback_result(p_id bigint) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    cr callback_results;
    t  tickets;
    d  date;
BEGIN
    UPDATE callback_results SET excluded_at = now()
    WHERE id = p_id AND excluded_at IS NULL AND outcome = 'reached'
    RETURNING * INTO cr;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    SELECT * INTO t FROM tickets WHERE id = cr.ticket_id;
    t.requester_type := cr.requester_type;
    d := rollup_day(cr.at);
    PERFORM rollup_bump(t, d, cr.unit_id, 'cb_reached', -1);
    PERFORM rollup_bump(t, d, cr.unit_id, CASE cr.satisfaction WHEN 'satisfied' THEN 'cb_satisfied'
                        WHEN 'basically_satisfied' THEN 'cb_basic' ELSE 'cb_unsatisfied' END, -1);
    PERFORM rollup_bump(t, d, cr.unit_id, CASE WHEN cr.solved THEN 'cb_solved' ELSE 'cb_unsolved' END, -1);
    RETURN true;
END $$;

COMMIT;
