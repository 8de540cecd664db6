-- Direct messages between community members who follow each other
-- (`auravest_social::MessageContext`), each member's choice to take them,
-- and blocks. Members are the community's ids (`social_users`); times are
-- nanoseconds since the epoch, as in the community's tables.

CREATE TABLE direct_messages (
    id            TEXT   NOT NULL PRIMARY KEY,
    sender_id     INTEGER NOT NULL,
    recipient_id  INTEGER NOT NULL,
    body          TEXT   NOT NULL,
    created_ns    INTEGER NOT NULL,
    read_ns       INTEGER,
    reported_ns   INTEGER,
    report_reason TEXT
);
CREATE INDEX direct_messages_sender ON direct_messages (sender_id, created_ns);
CREATE INDEX direct_messages_recipient ON direct_messages (recipient_id, created_ns);
CREATE INDEX direct_messages_reported ON direct_messages (reported_ns);

CREATE TABLE message_settings (
    member_id INTEGER  NOT NULL PRIMARY KEY,
    accepts   BOOLEAN NOT NULL
);

CREATE TABLE member_blocks (
    blocker_id INTEGER NOT NULL,
    blocked_id INTEGER NOT NULL,
    created_ns INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
