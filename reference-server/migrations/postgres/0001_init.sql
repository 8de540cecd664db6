-- The whole schema of the reference server on PostgreSQL.
--
-- Decimal amounts are TEXT exactly as given, never floating point; the
-- transaction record is text validated by the SDK, stored as given.

CREATE TABLE users (
    id                UUID        NOT NULL PRIMARY KEY,
    email_hash        TEXT        NOT NULL,
    email_enc         BYTEA       NOT NULL,
    password_hash     TEXT        NOT NULL,
    role              TEXT        NOT NULL CHECK (role IN ('user', 'moderator', 'admin')),
    alias             TEXT        NOT NULL,
    display_mode      TEXT        NOT NULL,
    share_performance BOOLEAN     NOT NULL,
    dashboard         JSONB       NOT NULL,
    terms_version     TEXT        NOT NULL,
    terms_accepted_at TIMESTAMPTZ NOT NULL,
    failed_logins     INTEGER     NOT NULL DEFAULT 0,
    locked_until      TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_email_hash_key UNIQUE (email_hash),
    CONSTRAINT users_alias_key UNIQUE (alias)
);

-- Every terms version a user accepted.
CREATE TABLE consents (
    user_id       UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    terms_version TEXT        NOT NULL,
    accepted_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX consents_user_idx ON consents (user_id);

-- The opaque subject the audit log knows a user by. Deleting the row is
-- what makes the user's audit rows anonymous.
CREATE TABLE audit_subjects (
    user_id UUID NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    subject UUID NOT NULL,
    CONSTRAINT audit_subjects_subject_key UNIQUE (subject)
);

CREATE TABLE refresh_tokens (
    token_hash TEXT        NOT NULL,
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family     UUID        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked    BOOLEAN     NOT NULL DEFAULT FALSE,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE risk_profiles (
    id         UUID        NOT NULL PRIMARY KEY,
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    answers    JSONB       NOT NULL,
    profile    JSONB       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX risk_profiles_user_created_idx ON risk_profiles (user_id, created_at);

CREATE TABLE portfolios (
    id         UUID        NOT NULL PRIMARY KEY,
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT        NOT NULL,
    currency   TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    -- The last `seq` handed to one of its transactions.
    last_seq   BIGINT      NOT NULL DEFAULT 0,
    CONSTRAINT portfolios_user_name_key UNIQUE (user_id, name)
);
CREATE INDEX portfolios_user_idx ON portfolios (user_id);

CREATE TABLE transactions (
    id           UUID   NOT NULL PRIMARY KEY,
    portfolio_id UUID   NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    date         TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    symbol       TEXT,
    quantity     TEXT,
    price        TEXT,
    fee          TEXT,
    currency     TEXT   NOT NULL
);
CREATE INDEX transactions_portfolio_order_idx ON transactions (portfolio_id, date, seq);
CREATE INDEX transactions_symbol_idx ON transactions (symbol);

CREATE TABLE goals (
    id                   UUID             NOT NULL PRIMARY KEY,
    user_id              UUID             NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                 TEXT             NOT NULL,
    target               TEXT             NOT NULL,
    due_by               DATE,
    monthly_contribution TEXT,
    expected_return      DOUBLE PRECISION,
    created_at           TIMESTAMPTZ      NOT NULL
);
CREATE INDEX goals_user_idx ON goals (user_id);

CREATE TABLE last_prices (
    symbol     TEXT        NOT NULL PRIMARY KEY,
    price      TEXT        NOT NULL,
    currency   TEXT        NOT NULL,
    as_of      DATE        NOT NULL,
    source     TEXT        NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE daily_closes (
    symbol TEXT NOT NULL,
    date   DATE NOT NULL,
    close  TEXT NOT NULL,
    PRIMARY KEY (symbol, date)
);

CREATE TABLE usage_counts (
    user_id UUID   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     DATE   NOT NULL,
    kind    TEXT   NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (user_id, day, kind)
);

-- Who an AI answer was given to (the answer itself is not stored).
CREATE TABLE answers (
    id      UUID        NOT NULL PRIMARY KEY,
    user_id UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX answers_user_idx ON answers (user_id);

CREATE TABLE feedback (
    answer_id UUID NOT NULL PRIMARY KEY REFERENCES answers (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL
);

CREATE TABLE summaries (
    portfolio_id UUID  NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    day          DATE  NOT NULL,
    summary      JSONB NOT NULL,
    PRIMARY KEY (portfolio_id, day)
);

-- Append-only: the triggers below refuse every UPDATE, DELETE and
-- TRUNCATE. No foreign key to users: rows name only the opaque subject.
CREATE TABLE audit_log (
    id      BIGSERIAL   NOT NULL PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    action  TEXT        NOT NULL,
    subject UUID,
    object  TEXT,
    detail  JSONB       NOT NULL
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
