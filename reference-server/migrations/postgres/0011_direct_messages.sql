-- Direct messages between community members who follow each other
-- (`auravest_social::MessageContext`), each member's choice to take them,
-- and blocks. Members are the community's ids (`social_users`); times are
-- nanoseconds since the epoch, as in the community's tables.

CREATE TABLE direct_messages (
    id            TEXT   NOT NULL PRIMARY KEY,
    sender_id     BIGINT NOT NULL,
    recipient_id  BIGINT NOT NULL,
    body          TEXT   NOT NULL,
    created_ns    BIGINT NOT NULL,
    read_ns       BIGINT,
    reported_ns   BIGINT,
    report_reason TEXT
);
CREATE INDEX direct_messages_sender ON direct_messages (sender_id, created_ns);
CREATE INDEX direct_messages_recipient ON direct_messages (recipient_id, created_ns);
CREATE INDEX direct_messages_reported ON direct_messages (reported_ns);

CREATE TABLE message_settings (
    member_id BIGINT  NOT NULL PRIMARY KEY,
    accepts   BOOLEAN NOT NULL
);

CREATE TABLE member_blocks (
    blocker_id BIGINT NOT NULL,
    blocked_id BIGINT NOT NULL,
    created_ns BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
