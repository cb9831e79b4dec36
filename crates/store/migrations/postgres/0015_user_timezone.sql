-- The time zone a person reads and types times in (an IANA name); the installation's when empty.
ALTER TABLE users ADD COLUMN timezone TEXT;
