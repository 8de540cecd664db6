-- The whole schema of the reference server on SQLite.
--
-- Types as sqlx maps them: UUIDs are 16-byte BLOBs, instants RFC 3339 TEXT,
-- days `YYYY-MM-DD` TEXT, booleans INTEGER 0/1, JSON TEXT. Decimal amounts
-- are TEXT exactly as given, never floating point. Foreign keys need
-- `PRAGMA foreign_keys = ON`, which the store sets on every connection.

CREATE TABLE users (
    id                BLOB    NOT NULL PRIMARY KEY,
    email_hash        TEXT    NOT NULL,
    email_enc         BLOB    NOT NULL,
    password_hash     TEXT    NOT NULL,
    role              TEXT    NOT NULL CHECK (role IN ('user', 'moderator', 'admin')),
    alias             TEXT    NOT NULL,
    display_mode      TEXT    NOT NULL,
    share_performance BOOLEAN NOT NULL,
    dashboard         TEXT    NOT NULL,
    terms_version     TEXT    NOT NULL,
    terms_accepted_at TEXT    NOT NULL,
    failed_logins     INTEGER NOT NULL DEFAULT 0,
    locked_until      TEXT,
    created_at        TEXT    NOT NULL
);
CREATE UNIQUE INDEX users_email_hash_key ON users (email_hash);
CREATE UNIQUE INDEX users_alias_key ON users (alias);

-- Every terms version a user accepted.
CREATE TABLE consents (
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    terms_version TEXT NOT NULL,
    accepted_at   TEXT NOT NULL
);
CREATE INDEX consents_user_idx ON consents (user_id);

-- The opaque subject the audit log knows a user by. Deleting the row is
-- what makes the user's audit rows anonymous.
CREATE TABLE audit_subjects (
    user_id BLOB NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    subject BLOB NOT NULL
);
CREATE UNIQUE INDEX audit_subjects_subject_key ON audit_subjects (subject);

CREATE TABLE refresh_tokens (
    token_hash TEXT    NOT NULL,
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family     BLOB    NOT NULL,
    expires_at TEXT    NOT NULL,
    revoked    BOOLEAN NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE risk_profiles (
    id         BLOB NOT NULL PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    answers    TEXT NOT NULL,
    profile    TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX risk_profiles_user_created_idx ON risk_profiles (user_id, created_at);

CREATE TABLE portfolios (
    id         BLOB    NOT NULL PRIMARY KEY,
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    currency   TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    -- The last `seq` handed to one of its transactions.
    last_seq   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX portfolios_user_idx ON portfolios (user_id);
CREATE UNIQUE INDEX portfolios_user_name_key ON portfolios (user_id, name);

-- The transaction record is text validated by the SDK, stored as given.
CREATE TABLE transactions (
    id           BLOB    NOT NULL PRIMARY KEY,
    portfolio_id BLOB    NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    date         TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    symbol       TEXT,
    quantity     TEXT,
    price        TEXT,
    fee          TEXT,
    currency     TEXT    NOT NULL
);
CREATE INDEX transactions_portfolio_order_idx ON transactions (portfolio_id, date, seq);
CREATE INDEX transactions_symbol_idx ON transactions (symbol);

CREATE TABLE goals (
    id                   BLOB NOT NULL PRIMARY KEY,
    user_id              BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    target               TEXT NOT NULL,
    due_by               TEXT,
    monthly_contribution TEXT,
    expected_return      REAL,
    created_at           TEXT NOT NULL
);
CREATE INDEX goals_user_idx ON goals (user_id);

CREATE TABLE last_prices (
    symbol     TEXT NOT NULL PRIMARY KEY,
    price      TEXT NOT NULL,
    currency   TEXT NOT NULL,
    as_of      TEXT NOT NULL,
    source     TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);

CREATE TABLE daily_closes (
    symbol TEXT NOT NULL,
    date   TEXT NOT NULL,
    close  TEXT NOT NULL,
    PRIMARY KEY (symbol, date)
);

CREATE TABLE usage_counts (
    user_id BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (user_id, day, kind)
);

-- Who an AI answer was given to (the answer itself is not stored).
CREATE TABLE answers (
    id      BLOB NOT NULL PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at      TEXT NOT NULL
);
CREATE INDEX answers_user_idx ON answers (user_id);

CREATE TABLE feedback (
    answer_id BLOB NOT NULL PRIMARY KEY REFERENCES answers (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL
);

CREATE TABLE summaries (
    portfolio_id BLOB NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    summary      TEXT NOT NULL,
    PRIMARY KEY (portfolio_id, day)
);

-- Append-only: the triggers below refuse every UPDATE and DELETE. No
-- foreign key to users: rows name only the opaque subject.
CREATE TABLE audit_log (
    id      INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at      TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    subject BLOB,
    object  TEXT,
    detail  TEXT    NOT NULL
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The leader lock (PostgreSQL uses an advisory lock instead). A row is
-- held until `expires_at` (Unix milliseconds); the holder renews it while
-- it runs, so a crashed holder's lock lapses by itself.
CREATE TABLE leader_locks (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     BLOB    NOT NULL,
    expires_at INTEGER NOT NULL
);
