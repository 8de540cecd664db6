-- The web UI's colour theme the user chose: `light`, `dark`, or `system`
-- (follow the device). Accounts made before it follow the device.

ALTER TABLE users ADD COLUMN theme TEXT NOT NULL DEFAULT 'system'
    CHECK (theme IN ('light', 'dark', 'system'));
