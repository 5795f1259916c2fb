-- Rows of the Python eBIOS's ledger table (release plan v0.2.0) for the
-- import tests, as it wrote them: inputs_json and output_json by
-- json.dumps, timestamps by datetime.isoformat, invariant_passed 0/1.
-- One INSERT, so that PostgreSQL checks the foreign key at its end:
-- op-early comes before its parent op-late, in rowid and timestamp order.
-- The same script runs in sqlite3 and psql.
INSERT INTO ledger (op_id, operation, timestamp, inputs_json, output_json, coverage, invariant_passed, parent_id, entry_hash, signature) VALUES
('op-add', 'add', '2025-10-29T12:00:01.123456+00:00', '[[10.0, 0.5], [20.0, 1.0]]', '[30.0, 1.118033988749895]', 0.037267799624996496, 1, NULL,
 '5d2f1c0a9e8b7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817065f4e', '9f1a6c1e2b3d4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f90'),
('op-mul', 'multiply', '2025-10-29T12:00:02.000001+00:00', '[[30.0, 1.118033988749895], [2.0, 0.1]]', '{"n": 60.0, "u": 3.9}', 0.065, 1, 'op-add',
 '6e3f2d1b0a9c8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817065f', 'mock_sig_6e3f2d1b0a9c8e7d'),
('op-early', 'flip', '2025-10-29T12:00:03+00:00', '[[60.0, 3.9]]', '[-60.0, 3.9]', 0.065, 1, 'op-late',
 '7f4a3e2c1b0a9d8f7e6d5c4b3a29180716f5e4d3c2b1a09f8e7d6c5b4a392817', 'sig-early'),
('op-late', 'compose', '2025-10-29T12:00:04+00:00', '[[60.0, 3.9], [61.0, 4.0]]', '[60.48, 2.79]', 0.0461, 1, 'op-mul',
 '8a5b4f3d2c1b0a9e8f7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817', 'sig-late'),
('op-v01', 'add', '42', '[[1.0, 0.1], [2.0, 0.2]]', '[3.0, 0.223606797749979]', 0.0745, 1, NULL,
 '9b6c5a4e3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928', 'sig-counter'),
('op-shape', 'compose', '2025-10-30 08:15:00', '{"values": [1, 2]}', '[1.5, 0.5]', 0.333, 0, 'op-v01',
 'ac7d6b5f4e3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39', 'sig-shape');
