-- A report of a direct message is closed by a moderator.

ALTER TABLE direct_messages ADD COLUMN report_resolved_ns INTEGER;
