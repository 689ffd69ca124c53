-- The holiday calendar's official range that the stored deadlines were computed under. When the
-- official data reaches further (package upgrade, operator file), the deadlines computed from the
-- provisional calendar are recomputed (hotline/escalation/calendar_sync.py).
CREATE TABLE calendar_state (
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    official_until date NOT NULL,
    at             timestamptz NOT NULL DEFAULT now()
);
