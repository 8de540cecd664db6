-- Hardening: a version per portfolio ledger.
--
-- Bumped by every committed change to a portfolio's transactions; the row
-- update that bumps it is also the row lock that serialises concurrent
-- ledger changes.
ALTER TABLE portfolios ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
