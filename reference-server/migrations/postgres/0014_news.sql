-- News headlines per symbol from the configured RSS/Atom feeds
-- (`auravest_market::news`), kept for the holding page, the dashboard and
-- the assistant. One row per symbol and feed item id; times in ns.

CREATE TABLE news_headlines (
    symbol       TEXT   NOT NULL,
    id           TEXT   NOT NULL,
    title        TEXT   NOT NULL,
    link         TEXT,
    source       TEXT   NOT NULL,
    published_ns BIGINT,
    fetched_ns   BIGINT NOT NULL,
    PRIMARY KEY (symbol, id)
);
CREATE INDEX news_headlines_recent ON news_headlines (symbol, published_ns);
