-- The signed log: one head row (the commit record), the entries with
-- their tree hashes, and every checkpoint signed.

-- The head: the log's identity and its latest checkpoint. A commit
-- locks this row (SELECT ... FOR UPDATE), checks that size is still the
-- size its batch follows (compare-and-swap), and moves it.
CREATE TABLE ebios_log (
    id           smallint PRIMARY KEY CHECK (id = 1),
    origin       text     NOT NULL,
    verifier_key text     NOT NULL,
    size         bigint   NOT NULL CHECK (size >= 0),
    checkpoint   bytea    NOT NULL,
    writer       text     NOT NULL DEFAULT '',
    updated      timestamptz NOT NULL DEFAULT now()
);

-- One row per entry. leaf is body || signature (the Merkle leaf data);
-- hashes are the tree hashes stored with the entry (tlog stored hashes,
-- 32 bytes each, the first being its record hash). op_id (unique: the
-- op-id index), parent_op_id, ts and operation repeat fields of the
-- signed body, for SQL readers; verification checks they agree with it.
CREATE TABLE ebios_entries (
    idx          bigint PRIMARY KEY CHECK (idx >= 0),
    op_id        text   NOT NULL UNIQUE,
    parent_op_id text,
    ts           bigint NOT NULL,
    operation    text   NOT NULL,
    leaf         bytea  NOT NULL,
    hashes       bytea  NOT NULL
);

-- Every checkpoint the log signed, by size: the primary key makes a fork
-- (two different checkpoints of one size) impossible to commit, and keeps
-- the history for audits.
CREATE TABLE ebios_checkpoints (
    size       bigint PRIMARY KEY,
    checkpoint bytea  NOT NULL,
    writer     text   NOT NULL DEFAULT '',
    created    timestamptz NOT NULL DEFAULT now()
);
