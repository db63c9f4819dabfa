package sandbox

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ict is Vietnam time: providers cut their daily reports at local midnight.
var ict = time.FixedZone("ICT", 7*3600)

// reportHeader are the columns of the daily transaction report, the file
// a provider hands a merchant to reconcile against; they are the ones
// `civicpay reconcile` reads (gateway/reconcile): txn_id is the id the
// gateway deduplicates callbacks on, status "success" is money collected.
var reportHeader = []string{"provider", "txn_id", "order_id", "amount", "status", "time"}

func reportName(day time.Time) string {
	return "civicpay-sandbox-report-" + day.In(ict).Format(time.DateOnly) + ".csv"
}

// Report is the CSV of every transaction on day's date in Vietnam time.
func (s *Server) Report(day time.Time) []byte {
	date := day.In(ict).Format(time.DateOnly)
	s.mu.Lock()
	var rows [][]string
	for _, t := range s.txns {
		at := t.at.In(ict)
		if at.Format(time.DateOnly) != date {
			continue
		}
		rows = append(rows, []string{t.provider, t.id, t.order, strconv.FormatInt(t.amount, 10), t.status,
			at.Format(time.DateTime)})
	}
	s.mu.Unlock()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(reportHeader)
	_ = w.WriteAll(rows) // writing to a bytes.Buffer cannot fail
	return buf.Bytes()
}

// WriteReport writes day's report into the report directory and returns
// its path.
func (s *Server) WriteReport(day time.Time) (string, error) {
	dir := s.cfg.ReportDir
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, reportName(day))
	return path, os.WriteFile(path, s.Report(day), 0o644)
}
