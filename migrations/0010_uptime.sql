-- Which classifier version serves: one row, written by the hot-reload endpoint, read by every
-- worker (polled) and at start-up, so a reload reaches all workers and survives a restart.
-- (The runner applies each file in one transaction, as for the others.)
CREATE TABLE classifier_choice (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    model_dir  text NOT NULL CHECK (model_dir <> ''),
    version    text NOT NULL CHECK (version <> ''),
    chosen_by  bigint,
    chosen_at  timestamptz NOT NULL DEFAULT now()
);
