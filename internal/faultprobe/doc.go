// Package faultprobe holds the recovery proof (faultprobe_test.go): the
// real civicpay and banksim binaries, two gateway instances behind a
// round-robin proxy on a throw-away PostgreSQL cluster, VietQR transfers
// paid while the database is stopped and while the instance handling their
// callbacks is SIGKILLed — with the sandbox's callback retries off, then
// on — and every paid transfer must end succeeded, once. Its figures are in
// docs/RELIABILITY.md.
package faultprobe
