-- eBIOS Worker: the log and the users in D1 (wasm/worker/d1log).
-- Applied by `wrangler d1 migrations apply DB` (wrangler.toml migrations_dir);
-- the native tests of d1log apply the same files to SQLite.

-- One row per log entry: its leaf data (canonical body ‖ signature, what
-- the Merkle tree hashes), the tree hashes stored with it
-- (tlog.StoredHashesForRecordHash, 32 bytes each) and its op id, whose
-- UNIQUE index is the op-id index. operation, parent_op_id and ts_us (the
-- timestamp in Unix microseconds: exact in a JavaScript number, which
-- nanoseconds are not) are copies of the entry's fields for the read
-- indexes of query and trace; the leaf is what is served and signed.
CREATE TABLE entries (
	idx          INTEGER PRIMARY KEY,
	op_id        TEXT    NOT NULL UNIQUE,
	leaf         BLOB    NOT NULL,
	hashes       BLOB    NOT NULL,
	operation    TEXT    NOT NULL,
	parent_op_id TEXT    NOT NULL,
	ts_us        INTEGER NOT NULL
);
CREATE INDEX entries_operation ON entries (operation, idx);
CREATE INDEX entries_parent ON entries (parent_op_id, idx);
CREATE INDEX entries_ts ON entries (ts_us, idx);

-- The log has no gaps: an entry follows the one before it. With the
-- primary key (no duplicate index), this makes a commit a compare-and-swap
-- on the log's size: a batch that does not start at the current size
-- aborts, and a D1 batch is one transaction, so nothing of it stays.
CREATE TRIGGER entries_follow BEFORE INSERT ON entries
WHEN NEW.idx <> 0 AND NOT EXISTS (SELECT 1 FROM entries WHERE idx = NEW.idx - 1)
BEGIN
	SELECT RAISE(ABORT, 'ebios: entry does not follow the log (conflict)');
END;

-- The commit records: the signed checkpoint of each committed tree size.
-- The latest is the log's head. A checkpoint commits exactly the entries
-- stored before it.
CREATE TABLE checkpoints (
	size       INTEGER PRIMARY KEY,
	checkpoint TEXT    NOT NULL
);

CREATE TRIGGER checkpoints_cover BEFORE INSERT ON checkpoints
WHEN NEW.size <> (SELECT COALESCE(MAX(idx), -1) + 1 FROM entries)
BEGIN
	SELECT RAISE(ABORT, 'ebios: checkpoint size differs from the log (conflict)');
END;

-- Users of the API (server/auth.Store); password hashes are argon2id.
CREATE TABLE users (
	name       TEXT PRIMARY KEY,
	record     TEXT NOT NULL -- the user as JSON, hash included
);

-- Generations of deleted users, so that their tokens stay revoked when a
-- user of the same name is made again; expires_at in Unix seconds.
CREATE TABLE deleted_users (
	name       TEXT PRIMARY KEY,
	generation INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);

-- Revoked token families and spent refresh tokens, until they expire.
CREATE TABLE revoked_families (
	family     TEXT PRIMARY KEY,
	expires_at INTEGER NOT NULL
);
CREATE TABLE spent_refresh (
	jti        TEXT PRIMARY KEY,
	family     TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
