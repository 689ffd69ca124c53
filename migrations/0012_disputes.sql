-- Dispute resolution (矛盾纠纷多元化解): the mediation network, dispute cases and their trail.
--
-- Case statuses and the transitions between them come from routing.disputes.workflow.ACTIONS
-- (tests/disputes/test_disputes_schema.py checks that the table below and the Python list agree).
-- Two roles join the API: `mediator` (bound to one mediation organisation) and `court`
-- (the court's 诉调对接 platform posting acceptance and outcomes back).
-- Applied in one transaction by hotline.db.migrate.

ALTER TYPE api_role ADD VALUE IF NOT EXISTS 'mediator';
ALTER TYPE api_role ADD VALUE IF NOT EXISTS 'court';

-- The mediation network: people's mediation committees by tier, specialised committees,
-- administrative mediation, lawyers' and notaries' mediation, county mediation centres.
CREATE TABLE mediation_orgs (
    id            serial PRIMARY KEY,
    code          text NOT NULL UNIQUE,
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('people', 'industry', 'admin', 'lawyer', 'notary', 'centre')),
    tier          text NOT NULL CHECK (tier IN ('community', 'town', 'county', 'city')),
    area_code     varchar(12) NOT NULL REFERENCES areas (code),   -- the county (or city) it sits in
    town          text NOT NULL DEFAULT '',                       -- 乡镇街道 it covers ('' = whole area)
    community     text NOT NULL DEFAULT '',                       -- 村/社区 it covers
    dispute_types text[] NOT NULL DEFAULT '{}',                   -- empty: every type
    leader        text NOT NULL DEFAULT '',                       -- 包案 leader named when a case is listed here
    phone         text NOT NULL DEFAULT '',
    active        boolean NOT NULL DEFAULT true
);
CREATE INDEX mediation_orgs_area ON mediation_orgs (area_code, tier);

CREATE TABLE mediators (
    id        serial PRIMARY KEY,
    org_id    int NOT NULL REFERENCES mediation_orgs (id) ON DELETE CASCADE,
    name      text NOT NULL,
    title     text NOT NULL DEFAULT '',       -- 专职调解员, 兼职调解员, 律师, 公证员 ...
    active    boolean NOT NULL DEFAULT true,
    UNIQUE (org_id, name)
);

ALTER TABLE api_tokens ADD COLUMN org_id int REFERENCES mediation_orgs (id);
-- Compared as text: a new enum value cannot be used in the transaction that adds it.
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_mediator_org CHECK (role::text <> 'mediator' OR org_id IS NOT NULL);

CREATE TYPE case_status AS ENUM ('new', 'accepted', 'assigned', 'mediating', 'reviewing', 'settled', 'failed',
                                 'terminated', 'closed');
CREATE TYPE case_source AS ENUM ('ticket', '110', 'walk_in', 'patrol', 'court');
CREATE TYPE risk_level AS ENUM ('low', 'medium', 'high', 'major');

CREATE SEQUENCE case_no_seq;

CREATE TABLE dispute_cases (
    id                 bigserial PRIMARY KEY,
    case_no            text NOT NULL UNIQUE,
    source             case_source NOT NULL,
    source_ref         text,                                  -- 警情编号, 法院委派号, ...
    status             case_status NOT NULL DEFAULT 'new',
    dispute_type       text NOT NULL,                         -- routing/data/dispute_types.csv
    summary            text NOT NULL CHECK (length(summary) BETWEEN 1 AND 5000),
    address            text NOT NULL DEFAULT '',
    area_code          varchar(12) REFERENCES areas (code),
    city_code          varchar(12) REFERENCES areas (code),
    county_code        varchar(12) REFERENCES areas (code),
    amount             numeric(14, 2),                        -- 争议标的
    people             int NOT NULL DEFAULT 2 CHECK (people BETWEEN 1 AND 100000),
    repeat_calls       int NOT NULL DEFAULT 0,                -- further calls/incidents gathered into the case
    risk               risk_level NOT NULL,                   -- what counts now (confirmed or scored)
    risk_scored        risk_level NOT NULL,                   -- what the rules said
    risk_reasons       jsonb NOT NULL DEFAULT '[]',
    risk_confirmed_at  timestamptz,
    risk_confirmed_by  int REFERENCES api_tokens (id),
    lead_org_id        int REFERENCES mediation_orgs (id),
    tier               text,                                  -- tier of the lead organisation
    mediator           text NOT NULL DEFAULT '',
    accepted_at        timestamptz,
    assigned_at        timestamptz,
    due_at             timestamptz,                           -- mediation time limit
    clock_error        text NOT NULL DEFAULT '',
    next_escalation_at timestamptz,
    escalation_steps   text[] NOT NULL DEFAULT '{}',          -- steps taken on the current clock
    listed             boolean NOT NULL DEFAULT false,        -- 挂牌督办
    listed_leader      text NOT NULL DEFAULT '',              -- 包案 leader
    outcome            text CHECK (outcome IN ('settled', 'failed', 'terminated')),
    way_out            text CHECK (way_out IN ('litigation', 'arbitration', 'admin_review', 'petition', 'none')),
    performed          text CHECK (performed IN ('yes', 'partly', 'no')),   -- 协议履行 (follow-up)
    resolved_at        timestamptz,                           -- outcome time (settled / failed / terminated)
    closed_at          timestamptz,
    reopen_count       int NOT NULL DEFAULT 0,
    turned_violent     boolean NOT NULL DEFAULT false,        -- a later violent 110 incident (risk recall)
    created_by         int REFERENCES api_tokens (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_ref)
);
CREATE INDEX dispute_cases_status ON dispute_cases (status, id);
CREATE INDEX dispute_cases_county ON dispute_cases (county_code, id);
CREATE INDEX dispute_cases_org ON dispute_cases (lead_org_id, id);
CREATE INDEX dispute_cases_created ON dispute_cases (created_at);
CREATE INDEX dispute_cases_escalation ON dispute_cases (next_escalation_at) WHERE next_escalation_at IS NOT NULL;
CREATE INDEX dispute_cases_open_risk ON dispute_cases (risk, id)
    WHERE status NOT IN ('settled', 'failed', 'terminated', 'closed');

-- Parties: 申请人 / 被申请人 / 第三人, persons or organisations.
CREATE TABLE case_parties (
    id        bigserial PRIMARY KEY,
    case_id   bigint NOT NULL REFERENCES dispute_cases (id) ON DELETE CASCADE,
    role      text NOT NULL CHECK (role IN ('applicant', 'respondent', 'third')),
    kind      text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'org')),
    name      text NOT NULL,
    phone     text NOT NULL DEFAULT '',
    id_number text NOT NULL DEFAULT ''
);
CREATE INDEX case_parties_case ON case_parties (case_id);
CREATE INDEX case_parties_phone ON case_parties (phone) WHERE phone <> '';

-- Tickets and 110 incidents gathered into one case (repeat calls are a risk signal).
CREATE TABLE case_tickets (
    case_id   bigint NOT NULL REFERENCES dispute_cases (id) ON DELETE CASCADE,
    ticket_id bigint NOT NULL UNIQUE REFERENCES tickets (id),
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, ticket_id)
);

-- Organisations on a case (联调): one lead, any number of supporting ones.
CREATE TABLE case_orgs (
    case_id   bigint NOT NULL REFERENCES dispute_cases (id) ON DELETE CASCADE,
    org_id    int NOT NULL REFERENCES mediation_orgs (id),
    role      text NOT NULL CHECK (role IN ('lead', 'support')),
    active    boolean NOT NULL DEFAULT true,
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, org_id)
);
CREATE INDEX case_orgs_org ON case_orgs (org_id, case_id) WHERE active;

-- Mediation sessions (scheduled, attendees, minutes) and 会办 joint meetings.
CREATE TABLE case_sessions (
    id           bigserial PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES dispute_cases (id) ON DELETE CASCADE,
    kind         text NOT NULL DEFAULT 'session' CHECK (kind IN ('session', 'meeting')),
    scheduled_at timestamptz NOT NULL,
    place        text NOT NULL DEFAULT '',
    attendees    jsonb NOT NULL DEFAULT '[]',
    minutes      text NOT NULL DEFAULT '',
    division     jsonb NOT NULL DEFAULT '[]',                -- 会办: who does what
    held_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_sessions_case ON case_sessions (case_id, id);

-- Agreements (调解协议): terms, performance deadline, legality review, 司法确认.
CREATE TABLE case_agreements (
    id               bigserial PRIMARY KEY,
    case_id          bigint NOT NULL REFERENCES dispute_cases (id) ON DELETE CASCADE,
    terms            text NOT NULL,
    amount           numeric(14, 2),
    perform_by       date NOT NULL,
    major            boolean NOT NULL DEFAULT false,
    review_state     text NOT NULL DEFAULT 'none' CHECK (review_state IN ('none', 'pending', 'approved', 'rejected')),
    review_note      text NOT NULL DEFAULT '',
    confirmation     text NOT NULL DEFAULT 'none' CHECK (confirmation IN ('none', 'requested', 'confirmed', 'refused')),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_agreements_case ON case_agreements (case_id, id);

-- Append-only audit trail of cases.
CREATE TABLE case_events (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES dispute_cases (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    int REFERENCES api_tokens (id),
    actor_role  text,
    action      text NOT NULL,
    from_status case_status,
    to_status   case_status,
    reason      text NOT NULL DEFAULT '',
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);
CREATE TRIGGER case_events_append_only BEFORE UPDATE ON case_events
    FOR EACH ROW EXECUTE FUNCTION forbid_event_change();

-- Escalation steps on a case: warn, chase, list (挂牌督办) — once per (case, step, clock).
CREATE TABLE case_escalations (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES dispute_cases (id) ON DELETE CASCADE,
    step        text NOT NULL CHECK (step IN ('warn', 'chase', 'list')),
    clock_start timestamptz NOT NULL,
    org_id      int REFERENCES mediation_orgs (id),
    to_org_id   int REFERENCES mediation_orgs (id),
    leader      text NOT NULL DEFAULT '',
    due_at      timestamptz,
    at          timestamptz NOT NULL,
    UNIQUE (case_id, step, clock_start)
);

-- 诉调对接: referrals and 司法确认 requests to the court's platform, delivered by a worker.
CREATE TABLE court_outbox (
    id              bigserial PRIMARY KEY,
    case_id         bigint NOT NULL REFERENCES dispute_cases (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('referral', 'confirmation')),
    idempotency_key text NOT NULL UNIQUE,
    payload         jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'accepted', 'concluded', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    remote_ref      text,
    court_outcome   text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    updated_at      timestamptz
);
CREATE INDEX court_outbox_due ON court_outbox (next_attempt_at) WHERE state = 'pending';

-- High-risk cases are announced to 110 through the linkage outbox (民转刑 prevention).
ALTER TABLE linkage_outbox ALTER COLUMN ticket_id DROP NOT NULL;
ALTER TABLE linkage_outbox ADD COLUMN case_id bigint REFERENCES dispute_cases (id);
ALTER TABLE linkage_outbox DROP CONSTRAINT linkage_outbox_kind_check;
ALTER TABLE linkage_outbox ADD CONSTRAINT linkage_outbox_kind_check
    CHECK (kind IN ('handoff', 'outcome', 'risk_alert'));
ALTER TABLE linkage_outbox ADD CONSTRAINT linkage_outbox_subject CHECK (ticket_id IS NOT NULL OR case_id IS NOT NULL);

-- Status changes the case state machine allows (routing.disputes.workflow.VALID_TRANSITIONS).
CREATE TABLE case_transitions (
    from_status case_status NOT NULL,
    to_status   case_status NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO case_transitions (from_status, to_status) VALUES
    ('accepted', 'assigned'),
    ('accepted', 'terminated'),
    ('assigned', 'failed'),
    ('assigned', 'mediating'),
    ('assigned', 'terminated'),
    ('closed', 'accepted'),
    ('failed', 'accepted'),
    ('mediating', 'assigned'),
    ('mediating', 'failed'),
    ('mediating', 'reviewing'),
    ('mediating', 'settled'),
    ('mediating', 'terminated'),
    ('new', 'accepted'),
    ('new', 'terminated'),
    ('reviewing', 'mediating'),
    ('reviewing', 'settled'),
    ('settled', 'accepted'),
    ('settled', 'closed'),
    ('terminated', 'accepted');

CREATE FUNCTION check_case_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM case_transitions WHERE from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'invalid case status change % -> % (case %)', OLD.status, NEW.status, OLD.id
            USING ERRCODE = 'check_violation', HINT = 'see routing.disputes.workflow.VALID_TRANSITIONS';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER dispute_cases_valid_transition BEFORE UPDATE OF status ON dispute_cases
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION check_case_transition();

