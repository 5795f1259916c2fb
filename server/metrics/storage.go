package metrics

import (
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	dataDirFreeDesc = prometheus.NewDesc("ebios_data_dir_free_bytes",
		"Bytes free for the server in the file system of the data directory.", nil, nil)
	dataDirSizeDesc = prometheus.NewDesc("ebios_data_dir_size_bytes",
		"Size in bytes of the file system of the data directory.", nil, nil)
	ledgerFileDesc = prometheus.NewDesc("ebios_ledger_file_bytes",
		"Size in bytes of the ledger's BuntDB file (the log's recent entries; full tiles are files beside it).", nil, nil)
)

// storageCollector reads the file system at each scrape: there is no
// node_exporter beside the server, and a stat and a statfs are cheap.
type storageCollector struct {
	mu                  sync.Mutex
	dataDir, ledgerFile string
}

func (c *storageCollector) set(dataDir, ledgerFile string) {
	c.mu.Lock()
	c.dataDir, c.ledgerFile = dataDir, ledgerFile
	c.mu.Unlock()
}

func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- dataDirFreeDesc
	ch <- dataDirSizeDesc
	ch <- ledgerFileDesc
}

// Collect reports what it can read; a metric whose file system call fails
// is left out of the scrape (absent() in an alert sees that).
func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	dataDir, ledgerFile := c.dataDir, c.ledgerFile
	c.mu.Unlock()
	if dataDir != "" {
		if free, size, err := diskSpace(dataDir); err == nil {
			ch <- prometheus.MustNewConstMetric(dataDirFreeDesc, prometheus.GaugeValue, float64(free))
			ch <- prometheus.MustNewConstMetric(dataDirSizeDesc, prometheus.GaugeValue, float64(size))
		}
	}
	if ledgerFile != "" {
		if fi, err := os.Stat(ledgerFile); err == nil {
			ch <- prometheus.MustNewConstMetric(ledgerFileDesc, prometheus.GaugeValue, float64(fi.Size()))
		}
	}
}
