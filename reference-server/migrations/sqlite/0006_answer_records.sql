-- The assistant's own record of each answer (the SDK's audit record, as
-- JSON: the hashed question, citations, tools, model, guardrail verdicts),
-- and every rating of an answer with an optional note, oldest first. The
-- one-rating-per-answer table is folded into it; a rating kept from it
-- carries its answer's time (when it was given was not recorded).

ALTER TABLE answers ADD COLUMN record TEXT;

CREATE TABLE answer_feedback (
    seq       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    answer_id BLOB    NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
    kind      TEXT    NOT NULL,
    note      TEXT,
    at        TEXT    NOT NULL
);
CREATE INDEX answer_feedback_answer_idx ON answer_feedback (answer_id, seq);

INSERT INTO answer_feedback (answer_id, kind, at)
SELECT f.answer_id, f.kind, a.at FROM feedback f JOIN answers a ON a.id = f.answer_id;

DROP TABLE feedback;
