// Package metrics is the observability of the eBIOS server: Prometheus
// metrics with the seed's names, and JSON logs that carry a request id.
//
// # Metrics
//
//	ebios_requests_total{method,route,status}    counter
//	ebios_request_duration_seconds{method,route} histogram (100 µs … 10 s)
//	ebios_active_connections                     gauge, requests in flight
//	ebios_operations_total{operation,mode}       counter
//	ebios_invariant_failures_total{operation}    counter
//	ebios_ledger_entries_total                   gauge, the ledger's size
//	ebios_rate_limited_total{class}              counter
//	ebios_auth_failures_total{reason}            counter
//	ebios_commit_duration_seconds                histogram, one batch row written
//	ebios_fsync_duration_seconds                 histogram, one fsync of the ledger
//	ebios_commit_batch_entries                   histogram, entries per batch row
//	ebios_checkpoint_age_seconds                 gauge, since the last checkpoint
//	ebios_verification_failures_total{scope}     counter, entry or log
//	ebios_ledger_file_bytes                      gauge, the ledger's BuntDB file
//	ebios_data_dir_free_bytes                    gauge, free in the data directory's file system
//	ebios_data_dir_size_bytes                    gauge, that file system's size
//	ebios_backup_last_success_timestamp_seconds  gauge, Unix time
//	ebios_backup_runs_total{result}              counter, ok or error
//
// plus the Go runtime and process collectors. [Metrics.Committed] and
// [Metrics.Synced] fit ledgerstore.Options.OnWrite and OnSync;
// [Metrics.WatchStorage] names the files to measure; the backup scheduler
// calls [Metrics.BackupSucceeded] and [Metrics.BackupFailed]. The seed's "endpoint" label
// is called route here and holds the ServeMux pattern that matched
// ("/ledger/verify/{op_id}"), never the raw path, so a client cannot create
// series at will; for the same reason unknown methods are "OTHER".
// [Metrics.RateLimited] fits ratelimit.Config.OnLimited and
// [Metrics.AuthFailed] fits auth.Options.OnFailure.
//
// # Logs
//
// [NewLogger] writes JSON lines (log/slog). [RequestID] gives each request
// an id (the client's X-Request-ID if it is 1 to 64 characters of
// A-Z a-z 0-9 - _ . :, else 128 random bits in hex), returns it in the
// X-Request-ID header and puts it in the context, and the logger adds it as
// "request_id" to every line logged with that context. [AccessLog] logs one
// line per request.
//
// A typical chain, outermost first:
//
//	metrics.RequestID(metrics.AccessLog(logger, m.Middleware(mux)))
//
// with authentication and rate limiting inside the routes of mux.
package metrics
