-- The ledger table of the Python eBIOS, as its release plan v0.2.0
-- publishes it ("Schema Enhancements", section 2.1), verbatim.
CREATE TABLE IF NOT EXISTS ledger (
    op_id TEXT PRIMARY KEY,
    operation TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    inputs_json TEXT NOT NULL,
    output_json TEXT NOT NULL,
    coverage REAL NOT NULL,
    invariant_passed INTEGER NOT NULL,
    parent_id TEXT,
    entry_hash TEXT NOT NULL,
    signature TEXT NOT NULL,

    -- New indexes for v0.2.0
    CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES ledger(op_id)
);

CREATE INDEX IF NOT EXISTS idx_timestamp ON ledger(timestamp);
CREATE INDEX IF NOT EXISTS idx_operation ON ledger(operation);
CREATE INDEX IF NOT EXISTS idx_parent_id ON ledger(parent_id);
CREATE INDEX IF NOT EXISTS idx_invariant ON ledger(invariant_passed);
