-- Classification, 12345/110 split, dispatch, workflow, deadlines and linkage outbox.

ALTER TABLE tickets
    ADD COLUMN category_source   text CHECK (category_source IN ('model', 'human')),
    ADD COLUMN triage_reason     text NOT NULL DEFAULT '',
    ADD COLUMN split_reasons     jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN split_review      boolean NOT NULL DEFAULT false,   -- 先行受理, three-party review
    ADD COLUMN police_incident_no text,                            -- 110 警情编号 (inbound hand-offs)
    ADD COLUMN tier              tier,                             -- tier of the lead unit
    ADD COLUMN category_class    text NOT NULL DEFAULT 'ordinary',
    ADD COLUMN dispatched_at     timestamptz,                      -- the current unit's clock start
    ADD COLUMN signed_at         timestamptz,
    ADD COLUMN replied_at        timestamptz,
    ADD COLUMN closed_at         timestamptz,
    ADD COLUMN sign_by           timestamptz,
    ADD COLUMN reply_by          timestamptz,
    ADD COLUMN extension_days    int NOT NULL DEFAULT 0 CHECK (extension_days >= 0),
    ADD COLUMN pauses            jsonb NOT NULL DEFAULT '[]',      -- [[start, end|null], ...] 补充材料
    ADD COLUMN next_escalation_at timestamptz,
    ADD COLUMN escalation_steps  text[] NOT NULL DEFAULT '{}',     -- steps taken at the current tier
    ADD COLUMN escalation_count  int NOT NULL DEFAULT 0,
    ADD COLUMN reopen_count      int NOT NULL DEFAULT 0,
    ADD COLUMN return_count      int NOT NULL DEFAULT 0,
    ADD COLUMN resolution        text NOT NULL DEFAULT '',
    ADD COLUMN claimed_solved    boolean;

CREATE UNIQUE INDEX tickets_police_incident ON tickets (police_incident_no) WHERE police_incident_no IS NOT NULL;
-- The escalation sweep reads only due tickets.
CREATE INDEX tickets_next_escalation ON tickets (next_escalation_at) WHERE next_escalation_at IS NOT NULL;
CREATE INDEX tickets_triage ON tickets (id) WHERE status = 'triage';

-- Lead (主办) and supporting (协办) units of a ticket.
CREATE TABLE ticket_units (
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    unit_id     int NOT NULL REFERENCES units (id),
    role        text NOT NULL CHECK (role IN ('lead', 'support')),
    assigned_at timestamptz NOT NULL DEFAULT now(),
    active      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (ticket_id, unit_id, assigned_at)
);
CREATE UNIQUE INDEX ticket_units_one_lead ON ticket_units (ticket_id) WHERE role = 'lead' AND active;
CREATE INDEX ticket_units_unit ON ticket_units (unit_id) WHERE active;

-- Returns (退单); contested ones (派单异议) wait for a supervisor.
CREATE TABLE ticket_returns (
    id         bigserial PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    unit_id    int NOT NULL REFERENCES units (id),
    reason     text NOT NULL CHECK (reason <> ''),
    contest    boolean NOT NULL DEFAULT false,
    at         timestamptz NOT NULL DEFAULT now(),
    decision   text CHECK (decision IN ('redispatch', 'uphold')),
    decided_at timestamptz,
    decided_by int REFERENCES api_tokens (id)
);
CREATE INDEX ticket_returns_open ON ticket_returns (ticket_id) WHERE decision IS NULL;

-- Extension requests (延期).
CREATE TABLE extension_requests (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    unit_id      int NOT NULL REFERENCES units (id),
    days         int NOT NULL CHECK (days BETWEEN 1 AND 60),
    reason       text NOT NULL CHECK (reason <> ''),
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'refused')),
    requested_at timestamptz NOT NULL DEFAULT now(),
    decided_at   timestamptz,
    decided_by   int REFERENCES api_tokens (id),
    note         text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX extension_one_pending ON extension_requests (ticket_id) WHERE state = 'pending';

-- Escalation steps: each (ticket, tier, step) happens once, enforced here.
CREATE TABLE escalations (
    id        bigserial PRIMARY KEY,
    ticket_id bigint NOT NULL REFERENCES tickets (id),
    step      text NOT NULL CHECK (step IN ('warn', 'chase', 'supervise', 'raise')),
    tier      tier NOT NULL,
    by_tier   tier NOT NULL,
    unit_id   int REFERENCES units (id),
    due_at    timestamptz NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ticket_id, tier, step)
);
CREATE INDEX escalations_at ON escalations (at);

-- Linkage outbox: hand-offs to the 110 platform and outcome reports, delivered by a worker.
CREATE TABLE linkage_outbox (
    id              bigserial PRIMARY KEY,
    ticket_id       bigint NOT NULL REFERENCES tickets (id),
    kind            text NOT NULL CHECK (kind IN ('handoff', 'outcome')),
    idempotency_key text NOT NULL UNIQUE,
    payload         jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'acknowledged', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    remote_ref      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    acknowledged_at timestamptz
);
CREATE INDEX linkage_outbox_due ON linkage_outbox (next_attempt_at) WHERE state = 'pending';
