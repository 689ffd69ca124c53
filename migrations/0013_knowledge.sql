-- 热线百科 (#15): articles with versions and a review flow, the search index, direct answers and referrals.
-- The pure rules (review flow, scope and overrides, query terms, snippets) are in routing/knowledge*.py.
BEGIN;

CREATE TYPE kb_status AS ENUM ('draft', 'reviewed', 'published', 'retired');

-- One row per article (its current version). An article applies to its area and every area below;
-- one with the same slug deeper in the tree overrides it there (local override).
CREATE TABLE kb_articles (
    id             bigserial PRIMARY KEY,
    slug           text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9._-]{0,79}$'),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    question       text NOT NULL DEFAULT '' CHECK (length(question) <= 2000),
    answer         text NOT NULL CHECK (length(answer) BETWEEN 1 AND 20000),
    basis_name     text NOT NULL DEFAULT '',
    basis_number   text NOT NULL DEFAULT '',
    category_code  text REFERENCES categories (code),
    area_code      varchar(12) NOT NULL REFERENCES areas (code),
    unit_id        int REFERENCES units (id),
    public         boolean NOT NULL DEFAULT true,
    effective_from date,
    expires_on     date,
    keywords       text NOT NULL DEFAULT '',
    status         kb_status NOT NULL DEFAULT 'draft',
    version        int NOT NULL DEFAULT 1 CHECK (version >= 1),
    source_ticket_id bigint REFERENCES tickets (id),
    opened_count   bigint NOT NULL DEFAULT 0,
    last_opened_at timestamptz,
    published_at   timestamptz,
    created_by     int REFERENCES api_tokens (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_on IS NULL OR effective_from IS NULL OR expires_on >= effective_from)
);
-- One live article per topic (slug) and area; retired ones stay for the record.
CREATE UNIQUE INDEX kb_articles_slug_area ON kb_articles (slug, area_code) WHERE status <> 'retired';
CREATE INDEX kb_articles_unit ON kb_articles (unit_id, id);
CREATE INDEX kb_articles_area ON kb_articles (area_code, id);
CREATE INDEX kb_articles_status ON kb_articles (status, id);
CREATE INDEX kb_articles_category ON kb_articles (category_code) WHERE status = 'published';

-- Every version's content, written with the change that made it.
CREATE TABLE kb_versions (
    article_id bigint NOT NULL REFERENCES kb_articles (id),
    version    int NOT NULL,
    content    jsonb NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   int REFERENCES api_tokens (id),
    PRIMARY KEY (article_id, version)
);

-- Append-only audit trail of articles: every change (create, revise, review, publish, retire...).
CREATE TABLE kb_events (
    id          bigserial PRIMARY KEY,
    article_id  bigint NOT NULL REFERENCES kb_articles (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    int REFERENCES api_tokens (id),
    actor_role  text,
    action      text NOT NULL,
    from_status kb_status,
    to_status   kb_status,
    version     int NOT NULL,
    reason      text NOT NULL DEFAULT '',
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX kb_events_article ON kb_events (article_id, id);

CREATE FUNCTION kb_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'kb_events is append-only';
END $$;
CREATE TRIGGER kb_events_no_change BEFORE UPDATE OR DELETE ON kb_events
    FOR EACH ROW EXECUTE FUNCTION kb_events_append_only();

-- The search index: one narrow row per published article (written on publish, removed on revise/retire),
-- so a search reads small rows. tsv holds the jieba tokens (segmented in Python, routing/knowledge_text.py)
-- with weights A title, B question + keywords, C answer; ancestors are the article's area and its
-- parents, so "applies here" is `area_code = ANY(the caller's area and its parents)`.
CREATE TABLE kb_search (
    article_id     bigint PRIMARY KEY REFERENCES kb_articles (id),
    slug           text NOT NULL,
    area_code      varchar(12) NOT NULL,
    depth          smallint NOT NULL,
    public         boolean NOT NULL,
    category_code  text,
    effective_from date,
    expires_on     date,
    tsv            tsvector NOT NULL
);
CREATE INDEX kb_search_tsv ON kb_search USING gin (tsv);
CREATE INDEX kb_search_slug ON kb_search (slug, depth);
CREATE INDEX kb_search_area ON kb_search (area_code);

-- Document frequency of every lexeme in the index (df), and the number of indexed articles (term '').
-- Kept by statement triggers; the query drops terms nearly every article has (routing/knowledge_text.py).
CREATE TABLE kb_terms (
    term text PRIMARY KEY,
    df   int NOT NULL CHECK (df >= 0)
);
INSERT INTO kb_terms (term, df) VALUES ('', 0);

CREATE FUNCTION kb_terms_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kb_terms AS k (term, df)
    SELECT w, count(*) FROM new_rows r, unnest(tsvector_to_array(r.tsv)) w GROUP BY w
    UNION ALL SELECT '', count(*) FROM new_rows
    ON CONFLICT (term) DO UPDATE SET df = k.df + EXCLUDED.df;
    RETURN NULL;
END $$;
CREATE FUNCTION kb_terms_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE kb_terms k SET df = greatest(k.df - d.n, 0)
    FROM (SELECT w, count(*) AS n FROM old_rows r, unnest(tsvector_to_array(r.tsv)) w GROUP BY w
          UNION ALL SELECT '', count(*) FROM old_rows) d
    WHERE k.term = d.w;
    RETURN NULL;
END $$;
CREATE TRIGGER kb_search_terms_add AFTER INSERT ON kb_search
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kb_terms_add();
CREATE TRIGGER kb_search_terms_remove AFTER DELETE ON kb_search
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kb_terms_remove();

-- Searches that found nothing (the gaps report): the query's terms, not the caller's text.
CREATE TABLE kb_misses (
    id        bigserial PRIMARY KEY,
    terms     text NOT NULL,
    area_code varchar(12),
    source    text NOT NULL CHECK (source IN ('staff', 'public', 'intake')),
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kb_misses_at ON kb_misses (at);

-- 直接答复: the hotline answered the call itself from an article; the ticket is closed by the workflow.
CREATE TABLE ticket_answers (
    ticket_id       bigint PRIMARY KEY REFERENCES tickets (id),
    article_id      bigint REFERENCES kb_articles (id),
    article_version int,
    answer          text NOT NULL CHECK (length(answer) BETWEEN 1 AND 5000),
    at              timestamptz NOT NULL,
    actor_id        int REFERENCES api_tokens (id)
);
CREATE INDEX ticket_answers_at ON ticket_answers (at);

-- 转办 to another hotline, or 告知 the right channel: the request is outside this hotline's remit.
CREATE TABLE ticket_referrals (
    ticket_id bigint PRIMARY KEY REFERENCES tickets (id),
    kind      text NOT NULL CHECK (kind IN ('transfer', 'inform')),
    target    text NOT NULL CHECK (length(target) BETWEEN 1 AND 200),
    channel   text NOT NULL DEFAULT '',
    reason    text NOT NULL DEFAULT '',
    at        timestamptz NOT NULL,
    actor_id  int REFERENCES api_tokens (id)
);

COMMIT;
