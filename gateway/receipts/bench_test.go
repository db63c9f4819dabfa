package receipts_test

import (
	"slices"
	"testing"
	"time"

	"github.com/civicpay/civicpay/gateway/receipts"
)

// BenchmarkPDF is the figure docs/BENCHMARKS.md quotes (goal: ≤ 20 ms
// p50); it reports the median render besides the mean.
func BenchmarkPDF(b *testing.B) {
	r, _ := fixture(b)
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := receipts.PDF(r); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
}
