-- Live events (`src/live.rs`): what clients connected to `GET /api/v1/live`
-- are sent, kept for a day so a client that reconnects with its last event
-- id gets what it missed. `audience` is the one community member an event
-- is for (NULL: every member); `author` is a post's or comment's named
-- author (never an anonymous one's), only to match the "following"
-- stream; `payload` is what clients see.

CREATE TABLE live_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_ns INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    audience   INTEGER,
    author     INTEGER,
    post_id    TEXT,
    symbols    TEXT NOT NULL DEFAULT '',
    payload    TEXT NOT NULL
);

CREATE INDEX live_events_created ON live_events (created_ns);
CREATE INDEX live_events_author ON live_events (author);
CREATE INDEX live_events_audience ON live_events (audience);
CREATE INDEX live_events_post ON live_events (post_id);
