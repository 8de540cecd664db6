-- Hardening: a version per portfolio ledger, and an audit log that no
-- statement can rewrite.

-- Bumped by every committed change to a portfolio's transactions; the row
-- update that bumps it is also what serialises concurrent ledger changes
-- (the first write of a transaction takes SQLite's write lock).
ALTER TABLE portfolios ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- `INSERT OR REPLACE` (and `REPLACE`, and an UPSERT's conflict) would delete
-- an audit row without firing the delete trigger: refuse any insert whose
-- id is already taken, before the conflict is resolved.
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
