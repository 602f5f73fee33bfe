-- Postgres 0005 adds a NOTIFY trigger that wakes worker processes when a
-- job is committed. SQLite has no cross-process notifications: an
-- embedded database has one process, whose workers are woken in memory.
SELECT 1;
