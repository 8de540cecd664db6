-- The learning checklist: the items each user marked done, and when.
-- The primary key serves the lookups by user.

CREATE TABLE checklist_done (
    user_id UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item    TEXT        NOT NULL,
    done_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, item)
);
