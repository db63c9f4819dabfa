// Package metrics exposes the gateway's Prometheus metrics on its own
// registry (no global state, so tests can build many gateways).
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one gateway's set of collectors.
type Metrics struct {
	Registry        *prometheus.Registry
	HTTPDuration    *prometheus.HistogramVec
	SettlementBatch prometheus.Histogram
	ReadBatch       prometheus.Histogram
	CreateBatch     prometheus.Histogram
	Callbacks       *prometheus.CounterVec
}

// New registers the collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "civicpay_http_request_duration_seconds", Help: "HTTP request latency by route and status class.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
		SettlementBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "civicpay_settlement_batch_size", Help: "Callbacks settled per group commit.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
		ReadBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "civicpay_payment_read_batch_size", Help: "Payment reads (GET /v1/payments/{id}) answered per query.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		}),
		CreateBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "civicpay_payment_create_batch_size", Help: "Payments created (POST /v1/payments) per shared transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32},
		}),
		Callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civicpay_callbacks_total", Help: "Provider callbacks by provider and outcome.",
		}, []string{"provider", "outcome"}),
	}
	r.MustRegister(m.HTTPDuration, m.SettlementBatch, m.ReadBatch, m.CreateBatch, m.Callbacks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// ObserveHTTP records one request.
func (m *Metrics) ObserveHTTP(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.HTTPDuration.WithLabelValues(method, route, strconv.Itoa(status/100)+"xx").Observe(d.Seconds())
}
