package api

import (
	"net/http"
	"time"
)

// Timeouts are the HTTP server's deadlines. Without them a client that
// declares a 100-byte body and sends one byte holds a connection and a
// goroutine for as long as it likes; with them it holds nothing longer
// than Read.
type Timeouts struct {
	// ReadHeader bounds the request line and headers.
	ReadHeader time.Duration
	// Read bounds the whole request, body included; a body still
	// arriving then is answered 408 request_timeout and the connection
	// closed.
	Read time.Duration
	// Write bounds the time from the end of the headers to the end of
	// the response. Status streams are long-lived: they clear the read
	// deadline and move the write deadline forward before each write.
	Write time.Duration
	// Idle bounds the wait for the next request on a keep-alive
	// connection.
	Idle time.Duration
}

// DefaultTimeouts are the settings' defaults (see gateway/config).
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 60 * time.Second, Idle: 120 * time.Second}

// HTTPServer is the server `civicpay serve` runs h with.
func HTTPServer(h http.Handler, t Timeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
	}
}
