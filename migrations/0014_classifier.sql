-- The classifier's learning loop and the 12345/110 three-party review (#18).
BEGIN;

-- 三方研判: a call whose police reading is uncertain waits (in triage, no hand-off written) until an
-- agent decides: transfer to 110, keep on 12345, or joint (110 first, the matter still dispatched).
ALTER TABLE tickets
    ADD COLUMN split_decision   text CHECK (split_decision IN ('transfer_110', 'keep', 'joint')),
    ADD COLUMN split_decided_at timestamptz,
    ADD COLUMN split_decided_by bigint;
CREATE INDEX tickets_split_review_open ON tickets (id) WHERE split_review AND split_decision IS NULL;

-- Every retrain: the candidate's and the serving model's figures on the same held-out rows, and
-- whether the gate let the candidate in. Rows are appended, never rewritten, except to approve.
CREATE TABLE classifier_retrains (
    id                bigserial PRIMARY KEY,
    started_at        timestamptz NOT NULL DEFAULT now(),
    candidate_dir     text NOT NULL CHECK (candidate_dir <> ''),
    candidate_version text NOT NULL CHECK (candidate_version <> ''),
    current_version   text,
    n_train           integer NOT NULL CHECK (n_train >= 0),
    n_heldout         integer NOT NULL CHECK (n_heldout >= 0),
    candidate_f1      double precision,
    current_f1        double precision,
    candidate_acc     double precision,
    current_acc       double precision,
    decision          text NOT NULL CHECK (decision IN ('swapped', 'kept', 'pending', 'approved')),
    reason            text NOT NULL DEFAULT '',
    figures           jsonb NOT NULL DEFAULT '{}'::jsonb,
    decided_at        timestamptz,
    decided_by        bigint
);
CREATE INDEX classifier_retrains_started ON classifier_retrains (started_at DESC);

COMMIT;
