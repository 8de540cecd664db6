-- Watchlists (symbols a user follows without holding them) and price alert
-- rules (`auravest_social::AlertRule`): `condition` is the rule's JSON,
-- `armed` whether it may fire (it fires once per crossing, then waits for
-- the condition to reset). The price refresher refreshes held, watched and
-- alerted symbols.

CREATE TABLE watchlist (
    user_id  BLOB        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol   TEXT        NOT NULL,
    added_at TEXT        NOT NULL,
    PRIMARY KEY (user_id, symbol)
);
CREATE INDEX watchlist_symbol_idx ON watchlist (symbol);

CREATE TABLE alert_rules (
    id         BLOB        NOT NULL PRIMARY KEY,
    user_id    BLOB        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol     TEXT        NOT NULL,
    condition  TEXT        NOT NULL,
    armed      BOOLEAN     NOT NULL,
    created_at TEXT        NOT NULL,
    fired_at   TEXT
);
CREATE INDEX alert_rules_user_idx ON alert_rules (user_id);
CREATE INDEX alert_rules_symbol_idx ON alert_rules (symbol);
