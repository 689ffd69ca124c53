-- Re-runnable objects (functions, triggers, views), applied after the numbered
-- migrations on every migrate. Everything here must be safe to run again.

-- The calendar day (Beijing time) an event counts on.
CREATE OR REPLACE FUNCTION rollup_day(ts timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$ SELECT (ts AT TIME ZONE 'Asia/Shanghai')::date $$;

-- A ratio rounded to 4 places; NULL when there is nothing to divide by.
CREATE OR REPLACE FUNCTION rate(num numeric, den numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN den > 0 THEN round(num / den, 4) END $$;

-- Every area with each of its ancestors (depth 0 = itself): rolls counties up into cities and provinces.
CREATE OR REPLACE VIEW area_ancestors AS
WITH RECURSIVE up AS (
    SELECT code, code AS ancestor, 0 AS depth, parent_code FROM areas
    UNION ALL
    SELECT up.code, a.code, up.depth + 1, a.parent_code FROM up JOIN areas a ON a.code = up.parent_code
)
SELECT code, ancestor, depth FROM up;

DO $$ BEGIN
    ALTER TABLE rate_rollup_delta ADD CONSTRAINT rate_rollup_delta_counter CHECK (counter IN ('received', 'dispatched', 'signed', 'signed_on_time', 'replied', 'replied_on_time', 'claimed_solved', 'overdue', 'returned', 'reopened', 'escalated', 'supervised', 'closed', 'cb_reached', 'cb_unreachable', 'cb_satisfied', 'cb_basic', 'cb_unsatisfied', 'cb_solved', 'cb_unsolved'));
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- One counter change for a ticket's dimensions.
CREATE OR REPLACE FUNCTION rollup_bump(t tickets, p_day date, p_unit int, p_counter text, p_n int DEFAULT 1)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO rate_rollup_delta (day, unit_id, area_code, category_code, channel, requester_type, counter, n)
    VALUES (p_day, coalesce(p_unit, 0), coalesce(t.county_code, t.city_code, t.province_code, ''),
            coalesce(t.category_code, ''), t.channel, t.requester_type, p_counter, p_n)
$$;

-- What a change of one ticket row adds to the counters (o is NULL for a new row or a backfill).
-- Response and overdue count in the cohort of the dispatch day, so both sides of the ratio match.
CREATE OR REPLACE FUNCTION rollup_ticket_change(o tickets, n tickets) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cohort date := rollup_day(coalesce(n.dispatched_at, n.created_at));
    late_sign boolean := n.signed_at IS NOT NULL AND n.sign_by IS NOT NULL AND n.signed_at > n.sign_by;
BEGIN
    IF o.id IS NULL THEN
        PERFORM rollup_bump(n, rollup_day(n.created_at), n.unit_id, 'received');
    END IF;
    IF n.dispatched_at IS NOT NULL AND n.dispatched_at IS DISTINCT FROM o.dispatched_at THEN
        PERFORM rollup_bump(n, rollup_day(n.dispatched_at), n.unit_id, 'dispatched');
    END IF;
    IF n.signed_at IS NOT NULL AND (o.signed_at IS NULL OR n.signed_at IS DISTINCT FROM o.signed_at) THEN
        PERFORM rollup_bump(n, cohort, n.unit_id, 'signed');
        IF late_sign THEN
            PERFORM rollup_bump(n, cohort, n.unit_id, 'overdue');
        ELSE
            PERFORM rollup_bump(n, cohort, n.unit_id, 'signed_on_time');
        END IF;
    END IF;
    IF n.replied_at IS NOT NULL AND n.replied_at IS DISTINCT FROM o.replied_at THEN
        PERFORM rollup_bump(n, rollup_day(n.replied_at), n.unit_id, 'replied');
        IF n.reply_by IS NULL OR n.replied_at <= n.reply_by THEN
            PERFORM rollup_bump(n, rollup_day(n.replied_at), n.unit_id, 'replied_on_time');
        ELSIF NOT late_sign THEN
            PERFORM rollup_bump(n, cohort, n.unit_id, 'overdue');
        END IF;
        IF n.claimed_solved THEN
            PERFORM rollup_bump(n, rollup_day(n.replied_at), n.unit_id, 'claimed_solved');
        END IF;
    ELSIF n.claimed_solved AND o.claimed_solved IS NOT TRUE AND n.replied_at IS NOT NULL
          AND o.id IS NOT NULL THEN
        -- the claim written in a later statement than the reply itself
        PERFORM rollup_bump(n, rollup_day(n.replied_at), n.unit_id, 'claimed_solved');
    END IF;
    IF n.reopen_count > coalesce(o.reopen_count, 0) THEN
        PERFORM rollup_bump(n, rollup_day(coalesce(n.dispatched_at, now())), coalesce(o.unit_id, n.unit_id),
                            'reopened', n.reopen_count - coalesce(o.reopen_count, 0));
    END IF;
    IF n.status = 'closed' AND o.status IS DISTINCT FROM 'closed' AND n.merged_into IS NULL THEN
        PERFORM rollup_bump(n, rollup_day(coalesce(n.closed_at, now())), n.unit_id, 'closed');
    END IF;
    -- 追加/并单 (#16): each call still counts as received (受理量 = callers), but the matter is the lead's:
    -- a folded call's dispatch that was never signed leaves the unit's counts, and it never counts as closed.
    IF o.id IS NOT NULL AND o.merged_into IS NULL AND n.merged_into IS NOT NULL
       AND o.dispatched_at IS NOT NULL AND o.signed_at IS NULL THEN
        PERFORM rollup_bump(n, rollup_day(o.dispatched_at), o.unit_id, 'dispatched', -1);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION rollup_tickets_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM rollup_ticket_change(NULL, NEW);
    ELSE
        PERFORM rollup_ticket_change(OLD, NEW);
    END IF;
    RETURN NULL;
END $$;

-- New tickets, once per statement: intake writes several tickets in one statement (group commit), and
-- a plain new ticket (not yet signed, replied, reopened or closed) only counts as received and, when it
-- was dispatched at once, dispatched; those are added as one delta row per dimension and counter. Any
-- other new row (imports, backfills) goes through the row function, so nothing is counted differently.
CREATE OR REPLACE FUNCTION rollup_tickets_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rate_rollup_delta (day, unit_id, area_code, category_code, channel, requester_type, counter, n)
    SELECT x.day, coalesce(x.unit_id, 0), coalesce(x.county_code, x.city_code, x.province_code, ''),
           coalesce(x.category_code, ''), x.channel, x.requester_type, x.counter, count(*)
    FROM (
        SELECT rollup_day(r.created_at) AS day, 'received' AS counter, r.* FROM new_rows r
        UNION ALL
        SELECT rollup_day(r.dispatched_at), 'dispatched', r.* FROM new_rows r WHERE r.dispatched_at IS NOT NULL
    ) x
    WHERE x.signed_at IS NULL AND x.replied_at IS NULL AND coalesce(x.reopen_count, 0) = 0 AND x.status <> 'closed'
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
    PERFORM rollup_ticket_change(NULL, r) FROM new_rows r
    WHERE r.signed_at IS NOT NULL OR r.replied_at IS NOT NULL OR coalesce(r.reopen_count, 0) > 0
       OR r.status = 'closed';
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS tickets_rollup_insert ON tickets;
CREATE TRIGGER tickets_rollup_insert AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_tickets_inserted();
CREATE OR REPLACE TRIGGER tickets_rollup_update AFTER UPDATE ON tickets
    FOR EACH ROW WHEN (OLD.dispatched_at IS DISTINCT FROM NEW.dispatched_at
                    OR OLD.signed_at IS DISTINCT FROM NEW.signed_at
                    OR OLD.replied_at IS DISTINCT FROM NEW.replied_at
                    OR OLD.claimed_solved IS DISTINCT FROM NEW.claimed_solved
                    OR OLD.reopen_count IS DISTINCT FROM NEW.reopen_count
                    OR OLD.status IS DISTINCT FROM NEW.status
                    OR OLD.merged_into IS DISTINCT FROM NEW.merged_into)
    EXECUTE FUNCTION rollup_tickets_trigger();

-- Returns (退单) count for the returning unit on the day of the return.
CREATE OR REPLACE FUNCTION rollup_returns_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_bump(t, rollup_day(NEW.at), NEW.unit_id, 'returned') FROM tickets t WHERE t.id = NEW.ticket_id;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER ticket_returns_rollup AFTER INSERT ON ticket_returns
    FOR EACH ROW EXECUTE FUNCTION rollup_returns_trigger();

-- Escalation steps: 'raise' is 提级, 'supervise' is 督办; both count for the ticket's current unit.
CREATE OR REPLACE FUNCTION rollup_escalations_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.step IN ('raise', 'supervise') THEN
        PERFORM rollup_bump(t, rollup_day(NEW.at), t.unit_id,
                            CASE NEW.step WHEN 'raise' THEN 'escalated' ELSE 'supervised' END)
        FROM tickets t WHERE t.id = NEW.ticket_id;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER escalations_rollup AFTER INSERT ON escalations
    FOR EACH ROW EXECUTE FUNCTION rollup_escalations_trigger();

-- Callback outcomes count for the unit whose reply was checked, on the day of the callback.
CREATE OR REPLACE FUNCTION rollup_callbacks_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t tickets;
    d date := rollup_day(NEW.at);
BEGIN
    SELECT * INTO t FROM tickets WHERE id = NEW.ticket_id;
    t.requester_type := NEW.requester_type;
    IF NEW.outcome = 'unreachable' THEN
        PERFORM rollup_bump(t, d, NEW.unit_id, 'cb_unreachable');
        RETURN NULL;
    END IF;
    PERFORM rollup_bump(t, d, NEW.unit_id, 'cb_reached');
    PERFORM rollup_bump(t, d, NEW.unit_id, CASE NEW.satisfaction WHEN 'satisfied' THEN 'cb_satisfied'
                        WHEN 'basically_satisfied' THEN 'cb_basic' ELSE 'cb_unsatisfied' END);
    PERFORM rollup_bump(t, d, NEW.unit_id, CASE WHEN NEW.solved THEN 'cb_solved' ELSE 'cb_unsolved' END);
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER callback_results_rollup AFTER INSERT ON callback_results
    FOR EACH ROW EXECUTE FUNCTION rollup_callbacks_trigger();

-- Move pending deltas into rate_rollup (one fold at a time); returns the rollup rows touched.
CREATE OR REPLACE FUNCTION rollup_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    touched bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('rate_rollup_fold'));
    WITH d AS (DELETE FROM rate_rollup_delta RETURNING *),
    agg AS (
        SELECT day, unit_id, area_code, category_code, channel, requester_type,
               coalesce(sum(n) FILTER (WHERE counter = 'received'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'dispatched'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'signed'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'signed_on_time'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'replied'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'replied_on_time'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'claimed_solved'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'overdue'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'returned'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'reopened'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'escalated'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'supervised'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'closed'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'cb_reached'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'cb_unreachable'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'cb_satisfied'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'cb_basic'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'cb_unsatisfied'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'cb_solved'), 0),
               coalesce(sum(n) FILTER (WHERE counter = 'cb_unsolved'), 0)
        FROM d GROUP BY day, unit_id, area_code, category_code, channel, requester_type
    ),
    up AS (
        INSERT INTO rate_rollup AS r (day, unit_id, area_code, category_code, channel, requester_type, received, dispatched, signed, signed_on_time, replied, replied_on_time, claimed_solved, overdue, returned, reopened, escalated, supervised, closed, cb_reached, cb_unreachable, cb_satisfied, cb_basic, cb_unsatisfied, cb_solved, cb_unsolved)
        SELECT * FROM agg
        ON CONFLICT (day, unit_id, area_code, category_code, channel, requester_type) DO UPDATE SET
            received = r.received + EXCLUDED.received,
            dispatched = r.dispatched + EXCLUDED.dispatched,
            signed = r.signed + EXCLUDED.signed,
            signed_on_time = r.signed_on_time + EXCLUDED.signed_on_time,
            replied = r.replied + EXCLUDED.replied,
            replied_on_time = r.replied_on_time + EXCLUDED.replied_on_time,
            claimed_solved = r.claimed_solved + EXCLUDED.claimed_solved,
            overdue = r.overdue + EXCLUDED.overdue,
            returned = r.returned + EXCLUDED.returned,
            reopened = r.reopened + EXCLUDED.reopened,
            escalated = r.escalated + EXCLUDED.escalated,
            supervised = r.supervised + EXCLUDED.supervised,
            closed = r.closed + EXCLUDED.closed,
            cb_reached = r.cb_reached + EXCLUDED.cb_reached,
            cb_unreachable = r.cb_unreachable + EXCLUDED.cb_unreachable,
            cb_satisfied = r.cb_satisfied + EXCLUDED.cb_satisfied,
            cb_basic = r.cb_basic + EXCLUDED.cb_basic,
            cb_unsatisfied = r.cb_unsatisfied + EXCLUDED.cb_unsatisfied,
            cb_solved = r.cb_solved + EXCLUDED.cb_solved,
            cb_unsolved = r.cb_unsolved + EXCLUDED.cb_unsolved
        RETURNING 1
    )
    SELECT count(*) INTO touched FROM up;
    INSERT INTO rollup_state (key, value, at) VALUES ('last_fold', jsonb_build_object('rows', touched), now())
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, at = EXCLUDED.at;
    RETURN touched;
END $$;

-- Tickets that existed before the rollup: counted once from their current state.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM rollup_state WHERE key = 'backfilled') THEN
        PERFORM rollup_ticket_change(NULL, t) FROM tickets t;
        INSERT INTO rollup_state (key, value) VALUES ('backfilled', '{}');
    END IF;
END $$;

-- The disputes report counts open cases past their limit live (hotline/disputes/rollup.py): a covering
-- partial index lets it read them from the index alone (it replaces 0020's plain dispute_cases_open_due).
CREATE INDEX IF NOT EXISTS dispute_cases_open_due_cover ON dispute_cases (due_at)
    INCLUDE (created_at, lead_org_id, area_code, city_code, county_code, dispute_type, tier)
    WHERE status NOT IN ('settled', 'failed', 'terminated', 'closed');
DROP INDEX IF EXISTS dispute_cases_open_due;
-- One case's contribution to the disputes rollup as a set-returning SQL function, so PostgreSQL inlines it
-- where the report reads the cases of partial months (a function returning one composite is not inlined)...
CREATE OR REPLACE FUNCTION dispute_rollup_rows(c dispute_cases, sign int) RETURNS SETOF dispute_rollup
LANGUAGE sql STABLE AS $$
    SELECT dispute_rollup_month(c.created_at), c.lead_org_id, c.area_code, c.city_code, c.county_code,
               c.dispute_type, c.tier, sign,
               sign * (c.outcome IS NOT NULL)::int, sign * (c.outcome IS NOT DISTINCT FROM 'settled')::int,
               sign * (c.outcome IS NOT DISTINCT FROM 'failed')::int, sign * (c.performed IS NOT NULL)::int,
               sign * (c.performed IS NOT DISTINCT FROM 'yes')::int,
               sign * (c.outcome IS NOT DISTINCT FROM 'settled' AND c.performed IS NOT DISTINCT FROM 'yes'
                      AND c.reopen_count = 0)::int,
               sign * CASE WHEN c.resolved_at IS NOT NULL
                           THEN extract(epoch FROM c.resolved_at - c.created_at) / 86400.0 ELSE 0 END,
               sign * (c.resolved_at IS NOT NULL)::int, sign * c.listed::int,
               sign * (c.reopen_count > 0 OR c.repeat_calls > 0)::int,
               sign * (c.status NOT IN ('settled', 'failed', 'terminated', 'closed') AND c.risk IN ('high', 'major'))::int,
               sign * c.turned_violent::int,
               sign * (c.turned_violent AND c.risk_scored IN ('high', 'major'))::int
$$;-- ...and the single-row form the triggers use reads the same definition (0020's first body is replaced here).
CREATE OR REPLACE FUNCTION dispute_rollup_row(c dispute_cases, sign int) RETURNS dispute_rollup
LANGUAGE sql STABLE AS $$
    SELECT r FROM dispute_rollup_rows(c, sign) r
$$;
