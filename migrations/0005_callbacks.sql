-- Callback surveys (回访) and the rate rollup that reports read.
-- Functions and triggers that feed the rollup live in repeatable.sql (re-run on every migrate).

-- Every callback attempt, by phone (agent) or by the requester's one-time link.
CREATE TABLE callback_attempts (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    round        int NOT NULL,                    -- tickets.reopen_count when the reply was checked
    via          text NOT NULL CHECK (via IN ('phone', 'link')),
    reached      boolean NOT NULL,
    satisfaction text CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    solved       boolean,
    comment      text NOT NULL DEFAULT '',
    actor_id     int REFERENCES api_tokens (id),
    at           timestamptz NOT NULL DEFAULT now(),
    CHECK (reached = (satisfaction IS NOT NULL AND solved IS NOT NULL))
);
CREATE INDEX callback_attempts_ticket ON callback_attempts (ticket_id, round);

-- The one outcome of each reply round: reached (with the answers) or unreachable after N attempts.
CREATE TABLE callback_results (
    id             bigserial PRIMARY KEY,
    ticket_id      bigint NOT NULL REFERENCES tickets (id),
    round          int NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('reached', 'unreachable')),
    via            text NOT NULL CHECK (via IN ('phone', 'link')),
    satisfaction   text CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    solved         boolean,
    comment        text NOT NULL DEFAULT '',
    attempts       int NOT NULL DEFAULT 1,
    decision       text NOT NULL CHECK (decision IN ('close', 'reopen')),
    unit_id        int REFERENCES units (id),      -- the unit whose reply was checked
    requester_type requester_type NOT NULL,
    actor_id       int REFERENCES api_tokens (id),
    at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ticket_id, round),
    CHECK ((outcome = 'reached') = (satisfaction IS NOT NULL AND solved IS NOT NULL))
);
CREATE INDEX callback_results_at ON callback_results (at);

-- One-time survey links sent by SMS: only the sha256 of the token is stored.
CREATE TABLE callback_links (
    id         bigserial PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    round      int NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_by int REFERENCES api_tokens (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX callback_links_ticket ON callback_links (ticket_id);

-- Counters per day x unit x area (county, else city, else province) x category x channel x requester type.
-- Unknown dimensions are stored as 0 / '' so the key has no NULLs.
CREATE TABLE rate_rollup (
    day                 date NOT NULL,
    unit_id             int NOT NULL,
    area_code           varchar(12) NOT NULL,
    category_code       text NOT NULL,
    channel             channel NOT NULL,
    requester_type      requester_type NOT NULL,
    received            int NOT NULL DEFAULT 0,
    dispatched          int NOT NULL DEFAULT 0,
    signed              int NOT NULL DEFAULT 0,
    signed_on_time      int NOT NULL DEFAULT 0,
    replied             int NOT NULL DEFAULT 0,
    replied_on_time     int NOT NULL DEFAULT 0,
    claimed_solved      int NOT NULL DEFAULT 0,
    overdue             int NOT NULL DEFAULT 0,
    returned            int NOT NULL DEFAULT 0,
    reopened            int NOT NULL DEFAULT 0,
    escalated           int NOT NULL DEFAULT 0,
    supervised          int NOT NULL DEFAULT 0,
    closed              int NOT NULL DEFAULT 0,
    cb_reached          int NOT NULL DEFAULT 0,
    cb_unreachable      int NOT NULL DEFAULT 0,
    cb_satisfied        int NOT NULL DEFAULT 0,
    cb_basic            int NOT NULL DEFAULT 0,
    cb_unsatisfied      int NOT NULL DEFAULT 0,
    cb_solved           int NOT NULL DEFAULT 0,
    cb_unsolved         int NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit_id, area_code, category_code, channel, requester_type)
);
CREATE INDEX rate_rollup_unit ON rate_rollup (unit_id, day);

-- Append-only deltas written by triggers in the transaction of each change (no row contention);
-- rollup_fold() moves them into rate_rollup.
CREATE TABLE rate_rollup_delta (
    id             bigserial PRIMARY KEY,
    day            date NOT NULL,
    unit_id        int NOT NULL,
    area_code      varchar(12) NOT NULL,
    category_code  text NOT NULL,
    channel        channel NOT NULL,
    requester_type requester_type NOT NULL,
    counter        text NOT NULL,
    n              int NOT NULL DEFAULT 1
);

CREATE TABLE rollup_state (
    key   text PRIMARY KEY,
    value jsonb NOT NULL DEFAULT '{}',
    at    timestamptz NOT NULL DEFAULT now()
);
