-- The community (auravest-social) on SQLite: members, posts, likes, flags,
-- follows, notifications and the community's own moderation audit.
--
-- Ids count up from 1 (AUTOINCREMENT never reuses one). Instants are
-- INTEGER nanoseconds since the Unix epoch, so posts order exactly as the
-- community's cursors expect; structured values are JSON TEXT. Member ids
-- are the community's own; `social_accounts` maps our users to them.

CREATE TABLE social_members (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    alias            TEXT    NOT NULL,
    alias_key        TEXT    NOT NULL,
    role             TEXT    NOT NULL CHECK (role IN ('user', 'moderator', 'admin')),
    status           TEXT    NOT NULL,
    share_performance BOOLEAN NOT NULL DEFAULT 0,
    count_holdings   BOOLEAN NOT NULL DEFAULT 0,
    joined_ns        INTEGER NOT NULL,
    alias_changed_ns INTEGER,
    holdings         TEXT    NOT NULL,
    returns          TEXT    NOT NULL,
    warnings         INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX social_members_alias_key ON social_members (alias_key);
CREATE INDEX social_members_share_performance_idx ON social_members (share_performance);
CREATE INDEX social_members_count_holdings_idx ON social_members (count_holdings);

-- Our user → the community member acting for them; `synced_alias` is our
-- alias as last carried over to the member.
CREATE TABLE social_accounts (
    user_id      BLOB    NOT NULL PRIMARY KEY,
    member_id    INTEGER NOT NULL,
    synced_alias TEXT    NOT NULL
);
CREATE UNIQUE INDEX social_accounts_member_key ON social_accounts (member_id);

CREATE TABLE social_posts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id   INTEGER NOT NULL,
    anonymous   BOOLEAN NOT NULL,
    thread_id   INTEGER,
    reply_to    INTEGER,
    text        TEXT    NOT NULL,
    sentiment   TEXT,
    cashtags    TEXT    NOT NULL,
    mentions    TEXT    NOT NULL,
    links       TEXT    NOT NULL,
    performance TEXT,
    created_ns  INTEGER NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('visible', 'hidden', 'removed', 'deleted')),
    helpful     BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX social_posts_time_idx ON social_posts (created_ns, id);
CREATE INDEX social_posts_author_idx ON social_posts (author_id, created_ns, id);
CREATE INDEX social_posts_thread_idx ON social_posts (thread_id, created_ns, id);
CREATE INDEX social_posts_reply_idx ON social_posts (reply_to);

-- One row per ticker a post tags, for the ticker streams.
CREATE TABLE social_post_cashtags (
    post_id INTEGER NOT NULL REFERENCES social_posts (id) ON DELETE CASCADE,
    symbol  TEXT    NOT NULL,
    PRIMARY KEY (post_id, symbol)
);
CREATE INDEX social_post_cashtags_symbol_idx ON social_post_cashtags (symbol, post_id);

-- The event sequence: likes, unlikes, flags and reviews each take the next number.
CREATE TABLE social_counters (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO social_counters (name, value) VALUES ('events', 0);

CREATE TABLE social_likes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id     INTEGER NOT NULL,
    member_id   INTEGER NOT NULL,
    liked_seq   INTEGER NOT NULL,
    unliked_seq INTEGER
);
CREATE UNIQUE INDEX social_likes_active_key ON social_likes (post_id, member_id)
    WHERE unliked_seq IS NULL;
CREATE INDEX social_likes_post_idx ON social_likes (post_id, liked_seq);
CREATE INDEX social_likes_member_idx ON social_likes (member_id, post_id);

CREATE TABLE social_flags (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id      INTEGER NOT NULL,
    reporter_id  INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    at_ns        INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    reviewed_seq INTEGER
);
CREATE UNIQUE INDEX social_flags_open_key ON social_flags (post_id, reporter_id)
    WHERE reviewed_seq IS NULL;
CREATE INDEX social_flags_post_idx ON social_flags (post_id, seq);
CREATE INDEX social_flags_reporter_idx ON social_flags (reporter_id);
CREATE INDEX social_flags_open_idx ON social_flags (reviewed_seq, seq);

CREATE TABLE social_follows (
    follower_id INTEGER NOT NULL,
    followee_id INTEGER NOT NULL,
    at_ns       INTEGER NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX social_follows_followee_idx ON social_follows (followee_id, follower_id);

CREATE TABLE social_notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    actor_id     INTEGER,
    created_ns   INTEGER NOT NULL,
    is_read      BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX social_notifications_recipient_idx ON social_notifications (recipient_id, id);
CREATE INDEX social_notifications_actor_idx ON social_notifications (actor_id);

-- The community's moderation audit (its reasons are moderators' words; our
-- own audit log keeps codes only).
CREATE TABLE social_audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ns    INTEGER NOT NULL,
    actor_id INTEGER NOT NULL,
    action   TEXT    NOT NULL,
    reason   TEXT    NOT NULL
);
CREATE INDEX social_audit_actor_idx ON social_audit (actor_id);
