-- Prices users state for symbols no market source knows (a private share,
-- an unlisted fund): one per portfolio and symbol, the latest set. They
-- value the holding beside its trade prices.

CREATE TABLE own_prices (
    portfolio_id UUID NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
    symbol       TEXT NOT NULL,
    day          DATE NOT NULL,
    price        TEXT NOT NULL,
    PRIMARY KEY (portfolio_id, symbol)
);
