-- The disputes report's rollup (#14): counters per month (Beijing) × lead organisation × place × type × tier,
-- for cases registered in that month. Kept in step by statement triggers on dispute_cases that only
-- insert deltas (the old row's contribution subtracted, the new row's added), folded into
-- dispute_rollup by dispute_rollup_fold() under an advisory lock (the ticket rollup's discipline:
-- writers never wait on each other; the report folds before it reads).
-- What depends on the time of asking (open cases past their limit) is not rolled up: the report counts it live.

CREATE TABLE dispute_rollup (
    month           date NOT NULL,              -- first day of the month of registration (Beijing)
    lead_org_id     int,
    area_code       varchar(12),
    city_code       varchar(12),
    county_code     varchar(12),
    dispute_type    text NOT NULL,
    tier            text,
    cases           bigint NOT NULL DEFAULT 0,
    resolved        bigint NOT NULL DEFAULT 0,  -- with an outcome (settled, failed, terminated)
    settled         bigint NOT NULL DEFAULT 0,
    failed          bigint NOT NULL DEFAULT 0,
    followed_up     bigint NOT NULL DEFAULT 0,
    performed       bigint NOT NULL DEFAULT 0,  -- agreement performed in full
    substantive     bigint NOT NULL DEFAULT 0,  -- settled, performed, never reopened
    days_sum        numeric NOT NULL DEFAULT 0, -- days from registration to outcome, summed
    days_n          bigint NOT NULL DEFAULT 0,
    listed          bigint NOT NULL DEFAULT 0,
    repeats         bigint NOT NULL DEFAULT 0,
    high_risk_open  bigint NOT NULL DEFAULT 0,
    turned_violent  bigint NOT NULL DEFAULT 0,
    violent_flagged bigint NOT NULL DEFAULT 0,
    CONSTRAINT dispute_rollup_key UNIQUE NULLS NOT DISTINCT
        (month, lead_org_id, area_code, city_code, county_code, dispute_type, tier)
);
CREATE INDEX dispute_rollup_month ON dispute_rollup (month);

CREATE TABLE dispute_rollup_delta (LIKE dispute_rollup INCLUDING DEFAULTS);

-- Open cases past their limit are counted live: this index finds them.
CREATE INDEX dispute_cases_open_due ON dispute_cases (due_at)
    WHERE status NOT IN ('settled', 'failed', 'terminated', 'closed');

-- One case's contribution to the rollup, with a sign (+1 added, -1 taken back), in dispute_rollup's shape.
CREATE FUNCTION dispute_rollup_month(at timestamptz) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')::date
$$;

CREATE FUNCTION dispute_rollup_row(c dispute_cases, sign int) RETURNS dispute_rollup LANGUAGE sql STABLE AS $$
    SELECT ROW(dispute_rollup_month(c.created_at), c.lead_org_id, c.area_code, c.city_code, c.county_code,
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
               sign * (c.turned_violent AND c.risk_scored IN ('high', 'major'))::int)::dispute_rollup
$$;

CREATE FUNCTION dispute_rollup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dispute_rollup_delta
    SELECT x.month, x.lead_org_id, x.area_code, x.city_code, x.county_code, x.dispute_type, x.tier,
           sum(x.cases), sum(x.resolved), sum(x.settled), sum(x.failed), sum(x.followed_up),
           sum(x.performed), sum(x.substantive), sum(x.days_sum), sum(x.days_n), sum(x.listed),
           sum(x.repeats), sum(x.high_risk_open), sum(x.turned_violent), sum(x.violent_flagged)
    FROM new_rows n CROSS JOIN LATERAL dispute_rollup_row(n, 1) x
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
    RETURN NULL;
END $$;

-- An update: take back what the changed rows counted before, add what they count now. Only rows whose
-- contribution can change are taken (the ladder's clock updates leave no delta).
CREATE FUNCTION dispute_rollup_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dispute_rollup_delta
    SELECT x.month, x.lead_org_id, x.area_code, x.city_code, x.county_code, x.dispute_type, x.tier,
           sum(x.cases), sum(x.resolved), sum(x.settled), sum(x.failed), sum(x.followed_up),
           sum(x.performed), sum(x.substantive), sum(x.days_sum), sum(x.days_n), sum(x.listed),
           sum(x.repeats), sum(x.high_risk_open), sum(x.turned_violent), sum(x.violent_flagged)
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    CROSS JOIN LATERAL (SELECT * FROM dispute_rollup_row(o, -1) UNION ALL SELECT * FROM dispute_rollup_row(n, 1)) x
    WHERE (o.created_at, o.lead_org_id, o.area_code, o.city_code, o.county_code, o.dispute_type, o.tier,
           o.outcome, o.performed, o.reopen_count, o.repeat_calls, o.resolved_at, o.listed, o.status, o.risk,
           o.risk_scored, o.turned_violent)
          IS DISTINCT FROM
          (n.created_at, n.lead_org_id, n.area_code, n.city_code, n.county_code, n.dispute_type, n.tier,
           n.outcome, n.performed, n.reopen_count, n.repeat_calls, n.resolved_at, n.listed, n.status, n.risk,
           n.risk_scored, n.turned_violent)
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
    RETURN NULL;
END $$;

CREATE FUNCTION dispute_rollup_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dispute_rollup_delta
    SELECT x.month, x.lead_org_id, x.area_code, x.city_code, x.county_code, x.dispute_type, x.tier,
           sum(x.cases), sum(x.resolved), sum(x.settled), sum(x.failed), sum(x.followed_up),
           sum(x.performed), sum(x.substantive), sum(x.days_sum), sum(x.days_n), sum(x.listed),
           sum(x.repeats), sum(x.high_risk_open), sum(x.turned_violent), sum(x.violent_flagged)
    FROM old_rows o CROSS JOIN LATERAL dispute_rollup_row(o, -1) x
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
    RETURN NULL;
END $$;

CREATE TRIGGER dispute_cases_rollup_insert AFTER INSERT ON dispute_cases
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dispute_rollup_inserted();
CREATE TRIGGER dispute_cases_rollup_update AFTER UPDATE ON dispute_cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dispute_rollup_updated();
CREATE TRIGGER dispute_cases_rollup_delete AFTER DELETE ON dispute_cases
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION dispute_rollup_deleted();

-- Move the committed deltas into the rollup, one fold at a time; returns the rollup rows touched.
CREATE FUNCTION dispute_rollup_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    touched bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('dispute_rollup_fold'));
    WITH d AS (DELETE FROM dispute_rollup_delta RETURNING *),
    agg AS (
        SELECT month, lead_org_id, area_code, city_code, county_code, dispute_type, tier,
               sum(cases) AS cases, sum(resolved) AS resolved, sum(settled) AS settled, sum(failed) AS failed,
               sum(followed_up) AS followed_up, sum(performed) AS performed, sum(substantive) AS substantive,
               sum(days_sum) AS days_sum, sum(days_n) AS days_n, sum(listed) AS listed, sum(repeats) AS repeats,
               sum(high_risk_open) AS high_risk_open, sum(turned_violent) AS turned_violent,
               sum(violent_flagged) AS violent_flagged
        FROM d GROUP BY 1, 2, 3, 4, 5, 6, 7
    ),
    up AS (
        INSERT INTO dispute_rollup AS r SELECT * FROM agg
        ON CONFLICT ON CONSTRAINT dispute_rollup_key DO UPDATE SET
            cases = r.cases + excluded.cases, resolved = r.resolved + excluded.resolved,
            settled = r.settled + excluded.settled, failed = r.failed + excluded.failed,
            followed_up = r.followed_up + excluded.followed_up, performed = r.performed + excluded.performed,
            substantive = r.substantive + excluded.substantive, days_sum = r.days_sum + excluded.days_sum,
            days_n = r.days_n + excluded.days_n, listed = r.listed + excluded.listed,
            repeats = r.repeats + excluded.repeats, high_risk_open = r.high_risk_open + excluded.high_risk_open,
            turned_violent = r.turned_violent + excluded.turned_violent,
            violent_flagged = r.violent_flagged + excluded.violent_flagged
        RETURNING 1
    )
    SELECT count(*) INTO touched FROM up;
    DELETE FROM dispute_rollup WHERE cases = 0;   -- every case moved elsewhere: nothing left to count
    RETURN touched;
END $$;

-- Cases registered before this migration: counted once from their current state.
INSERT INTO dispute_rollup
SELECT x.month, x.lead_org_id, x.area_code, x.city_code, x.county_code, x.dispute_type, x.tier,
       sum(x.cases), sum(x.resolved), sum(x.settled), sum(x.failed), sum(x.followed_up),
       sum(x.performed), sum(x.substantive), sum(x.days_sum), sum(x.days_n), sum(x.listed),
       sum(x.repeats), sum(x.high_risk_open), sum(x.turned_violent), sum(x.violent_flagged)
FROM dispute_cases c CROSS JOIN LATERAL dispute_rollup_row(c, 1) x
GROUP BY 1, 2, 3, 4, 5, 6, 7;
