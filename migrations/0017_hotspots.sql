-- Hotspots and surges (#16, part 2): episodes found by the detector (hotline/hotspots).
-- The counts read tickets through the existing created_at index: intake maintains no new index.
BEGIN;

-- One row per hotspot episode: an area x category whose calls in the sliding window are unusual against
-- its own baseline (routing.hotspots). Opened once (the unique index: several workers may run the
-- detector, only one insert wins, and only the winner announces it), refreshed while it lasts, ended
-- when the window is back to normal for the cool-down.
CREATE TABLE hotspots (
    id            bigserial PRIMARY KEY,
    county_code   varchar(12) NOT NULL REFERENCES areas (code),
    category_code text NOT NULL REFERENCES categories (code),
    window_hours  numeric NOT NULL,
    started_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    ended_at      timestamptz,
    count         int NOT NULL,
    peak_count    int NOT NULL,
    baseline      int NOT NULL,             -- calls in the baseline period
    expected      double precision NOT NULL, -- baseline scaled to the window
    p_value       double precision NOT NULL,
    score         double precision NOT NULL,
    ticket_ids    bigint[] NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX hotspots_open ON hotspots (county_code, category_code) WHERE ended_at IS NULL;
CREATE INDEX hotspots_started ON hotspots (started_at);

-- Surge episodes (话务激增): a county's intake over the short window far above its baseline. While one is
-- open, intake groups new requests about the same matter under one lead (grouped counts them).
CREATE TABLE surges (
    id           bigserial PRIMARY KEY,
    county_code  varchar(12) NOT NULL REFERENCES areas (code),
    window_hours numeric NOT NULL,
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz,
    count        int NOT NULL,
    peak_count   int NOT NULL,
    baseline     int NOT NULL,
    expected     double precision NOT NULL,
    p_value      double precision NOT NULL,
    score        double precision NOT NULL,
    grouped      int NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX surges_open ON surges (county_code) WHERE ended_at IS NULL;

COMMIT;
