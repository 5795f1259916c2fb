package metrics

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestOperationsMetrics checks each recording method against the exposed
// value of its metric.
func TestOperationsMetrics(t *testing.T) {
	m := New()
	m.Committed(3, 2*time.Millisecond)
	m.Committed(1, time.Millisecond)
	m.Synced(5 * time.Millisecond)
	m.VerificationFailed("log")
	m.BackupFailed()
	at := time.Unix(1_700_000_000, 500_000_000)
	m.BackupSucceeded(at)
	m.CheckpointSigned(time.Now().Add(-90 * time.Second))

	for _, c := range []struct {
		name string
		want float64
	}{
		{"ebios_commit_batch_entries", 2}, // sample count
		{"ebios_commit_duration_seconds", 2},
		{"ebios_fsync_duration_seconds", 1},
	} {
		if got := histogramCount(t, m, c.name); got != c.want {
			t.Errorf("%s count = %v, want %v", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		got, want float64
		what      string
	}{
		{testutil.ToFloat64(m.verifyFailures.WithLabelValues("log")), 1, "log verification failures"},
		{testutil.ToFloat64(m.verifyFailures.WithLabelValues("entry")), 0, "entry verification failures"},
		{testutil.ToFloat64(m.backupRuns.WithLabelValues("ok")), 1, "backups ok"},
		{testutil.ToFloat64(m.backupRuns.WithLabelValues("error")), 1, "backups failed"},
		{testutil.ToFloat64(m.backupLast), 1_700_000_000.5, "last backup time"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	age := gathered(t, m, "ebios_checkpoint_age_seconds")
	if age < 90 || age > 120 {
		t.Errorf("checkpoint age = %v s, want about 90", age)
	}
}

// TestStorageMetrics checks the file-system gauges against the files.
func TestStorageMetrics(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ledger.db")
	if err := os.WriteFile(file, make([]byte, 12345), 0o600); err != nil {
		t.Fatal(err)
	}
	m := New()
	if n := count(t, m, "ebios_data_dir_free_bytes"); n != 0 {
		t.Fatalf("free space reported before WatchStorage (%d series)", n)
	}
	m.WatchStorage(dir, file)
	if got := gathered(t, m, "ebios_ledger_file_bytes"); got != 12345 {
		t.Errorf("ebios_ledger_file_bytes = %v, want 12345", got)
	}
	free, size := gathered(t, m, "ebios_data_dir_free_bytes"), gathered(t, m, "ebios_data_dir_size_bytes")
	if free <= 0 || size < free {
		t.Errorf("free %v of %v bytes: want 0 < free <= size", free, size)
	}
	m.WatchStorage(filepath.Join(dir, "gone"), filepath.Join(dir, "gone.db"))
	if n := count(t, m, "ebios_data_dir_free_bytes") + count(t, m, "ebios_ledger_file_bytes"); n != 0 {
		t.Errorf("%d storage series for a missing directory; want them left out", n)
	}
}

func count(t *testing.T, m *Metrics, name string) int {
	t.Helper()
	n, err := testutil.GatherAndCount(m.Registry(), name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// gathered returns the value of the one sample of a gauge.
func gathered(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) == 1 {
			return mf.Metric[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("%s: no single sample", name)
	return 0
}

func histogramCount(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return float64(mf.Metric[0].GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("%s not exposed", name)
	return 0
}
