-- Feedback from members to the moderators (community safety, bugs, ideas),
-- in the moderation queue until a moderator resolves it. Members are the
-- community's ids; times are nanoseconds since the epoch.

CREATE TABLE community_feedback (
    id          TEXT   NOT NULL PRIMARY KEY,
    member_id   INTEGER NOT NULL,
    category    TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    created_ns  INTEGER NOT NULL,
    resolved_ns INTEGER,
    resolved_by INTEGER
);
CREATE INDEX community_feedback_open ON community_feedback (resolved_ns, created_ns);
CREATE INDEX community_feedback_member ON community_feedback (member_id, created_ns);
