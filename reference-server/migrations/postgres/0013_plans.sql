-- Plans: each user's tier (`free` unless set here, by an operator) and the
-- users who asked to hear when AuraVest Plus opens. No payments.

CREATE TABLE user_tiers (
    user_id UUID        NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tier    TEXT        NOT NULL,
    since   TIMESTAMPTZ NOT NULL
);

CREATE TABLE plus_interest (
    user_id    UUID        NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL
);
