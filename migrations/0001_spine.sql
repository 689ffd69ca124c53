-- The service spine: areas, units, categories, API tokens, tickets and their audit trail.
-- Applied inside one transaction by hotline.migrate.

CREATE TYPE channel AS ENUM ('phone', 'web', 'app', 'wechat', '110', 'enterprise', 'email');
CREATE TYPE requester_type AS ENUM ('citizen', 'enterprise');
CREATE TYPE urgency AS ENUM ('normal', 'urgent', 'emergency');
CREATE TYPE ticket_status AS ENUM (
    'received', 'triage', 'dispatched', 'signed', 'in_progress',
    'returned', 'replied', 'closed', 'transferred'
);
CREATE TYPE disposition AS ENUM ('12345', '110', 'joint');
CREATE TYPE tier AS ENUM ('province', 'city', 'county', 'street');
CREATE TYPE api_role AS ENUM ('agent', 'handler', 'supervisor', 'linkage', 'admin');

-- GB/T 2260 administrative divisions (province -> city -> county; street optional).
CREATE TABLE areas (
    code        varchar(12) PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$'),
    name        text NOT NULL,
    short_name  text NOT NULL,
    level       tier NOT NULL,
    parent_code varchar(12) REFERENCES areas (code),
    CHECK ((level = 'province') = (parent_code IS NULL))
);
CREATE INDEX areas_parent ON areas (parent_code);

CREATE TABLE categories (
    code      text PRIMARY KEY,
    name      text NOT NULL UNIQUE,
    unit_type text NOT NULL,
    scope     text NOT NULL DEFAULT ''
);

CREATE TABLE units (
    id        serial PRIMARY KEY,
    code      text NOT NULL UNIQUE,
    name      text NOT NULL,
    unit_type text NOT NULL,
    area_code varchar(12) NOT NULL REFERENCES areas (code),
    tier      tier NOT NULL,
    active    boolean NOT NULL DEFAULT true
);
CREATE INDEX units_area_type ON units (area_code, unit_type);

CREATE TABLE unit_categories (
    unit_id       int NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    category_code text NOT NULL REFERENCES categories (code),
    PRIMARY KEY (unit_id, category_code)
);

CREATE TABLE api_tokens (
    id         serial PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,          -- sha256 of the secret; the secret is never stored
    role       api_role NOT NULL,
    unit_id    int REFERENCES units (id),
    area_code  varchar(12) REFERENCES areas (code),
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CHECK (role <> 'handler' OR unit_id IS NOT NULL),
    CHECK (role <> 'supervisor' OR area_code IS NOT NULL)
);

CREATE SEQUENCE ticket_no_seq;

CREATE TABLE tickets (
    id                    bigserial PRIMARY KEY,
    ticket_no             text NOT NULL UNIQUE,
    channel               channel NOT NULL,
    requester_type        requester_type NOT NULL,
    requester_name        text NOT NULL DEFAULT '',
    requester_phone       text NOT NULL DEFAULT '',
    requester_id_number   text NOT NULL DEFAULT '',
    requester_org         text NOT NULL DEFAULT '',
    requester_credit_code text NOT NULL DEFAULT '',
    confidential          boolean NOT NULL DEFAULT false,
    title                 text NOT NULL,
    content               text NOT NULL,
    address               text NOT NULL DEFAULT '',
    area_code             varchar(12) REFERENCES areas (code),
    province_code         varchar(12) REFERENCES areas (code),
    city_code             varchar(12) REFERENCES areas (code),
    county_code           varchar(12) REFERENCES areas (code),
    urgency               urgency NOT NULL DEFAULT 'normal',
    status                ticket_status NOT NULL DEFAULT 'received',
    category_code         text REFERENCES categories (code),
    category_confidence   real,
    model_version         text,
    disposition           disposition,
    unit_id               int REFERENCES units (id),
    created_by            int REFERENCES api_tokens (id),
    idempotency_key       text,
    request_hash          bytea,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (requester_type <> 'enterprise' OR requester_org <> ''),
    CHECK (length(content) BETWEEN 1 AND 5000)
);
CREATE UNIQUE INDEX tickets_idempotency ON tickets (created_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_unit ON tickets (unit_id, id);
CREATE INDEX tickets_county ON tickets (county_code, id);
CREATE INDEX tickets_city ON tickets (city_code, id);
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_category ON tickets (category_code, id);

-- Append-only audit trail: every state change writes one row in the same transaction.
CREATE TABLE ticket_events (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    int REFERENCES api_tokens (id),
    actor_role  api_role,
    action      text NOT NULL,
    from_status ticket_status,
    to_status   ticket_status,
    reason      text NOT NULL DEFAULT '',
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
CREATE INDEX ticket_events_at ON ticket_events (at);

CREATE FUNCTION forbid_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only';
END $$;
CREATE TRIGGER ticket_events_append_only BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION forbid_event_change();
