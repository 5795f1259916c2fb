// Package backup takes online, consistent backups of an eBIOS data
// directory while the server runs, verifies them, restores them into an
// empty data directory, and runs them on a schedule with retention.
//
// A backup is one directory, named ebios-backup-<UTC time>, holding:
//
//	manifest.json  what the backup holds: the log's origin, verifier key,
//	               tree size and root, and the size and SHA-256 of every
//	               other file (written last)
//	ledger.bundle  an export bundle of the whole log (core/ledger), verified
//	               against the log's key before the backup is kept
//	checkpoint     the bundle's signed checkpoint
//	users.db       a consistent copy of the users store (BuntDB format)
//	policies.db    a consistent copy of the policies store (BuntDB format)
//	ledger.key     the log's signing key, only when asked (IncludeKey)
//
// Take writes it into a hidden temporary directory next to its final
// place and renames it there only once every file is written, synced and
// verified: a failed or cancelled backup leaves nothing behind. The
// policies are copied first, then the users, then the log: every policy
// change in the copy is in the log (or pending in the copy, and logged
// by the server that opens the restored store, as after a crash).
//
// Restore rebuilds the store from the bundle with the log's signing key:
// each entry is appended again with the same content; Ed25519 signatures
// are deterministic, so every entry, tree hash and the checkpoint come out
// byte for byte as they were, and Restore checks that they do. The jwt.secret
// is not kept: a restored server makes a new one, and everybody logs in again.
package backup
