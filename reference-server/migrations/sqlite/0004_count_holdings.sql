-- Whether the user lets the community count their holdings (tickers only)
-- in its "most held" list. Off unless the user turns it on.

ALTER TABLE users ADD COLUMN count_holdings BOOLEAN NOT NULL DEFAULT 0;
