package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkLoad runs bench/api.lua in mode (create, read or list) with wrk,
// closed loop with clients connections for cfg.Duration. Scenarios 2–3
// compare the gateway with pgbench, a load generator written in C that
// costs its machine little; wrk is the like of it for HTTP, so that on a
// small machine the client's own CPU does not decide the ratio. (vegeta,
// which needs several times more CPU per request, still drives the
// open-loop latency runs and the settlement callbacks, which need a
// signature per request.)
func (e *Env) wrkLoad(ctx context.Context, cfg Config, mode, arg string, clients int) (Load, error) {
	threads := min(clients, 2)
	script := filepath.Join(cfg.Root, "bench", "api.lua")
	secs := max(int(cfg.Duration.Round(time.Second)/time.Second), 1)
	cmd := exec.CommandContext(ctx, cfg.Wrk, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(clients),
		"-d", strconv.Itoa(secs)+"s", "--timeout", "60s", "-s", script, e.Gateway.URL,
		"--", mode, e.Portal.TestKey, arg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	pid := e.Gateway.Pid()
	start := markCPU(pid)
	if err := cmd.Run(); err != nil {
		return Load{}, fmt.Errorf("wrk %s: %v: %s", mode, err, lastLines(errb.String()+out.String(), 4))
	}
	l, err := parseWrk(mode, clients, out.String())
	l.CPU = cpuSince(start, pid, cmd, l.Requests)
	return l, err
}

// parseWrk reads the JSON line api.lua's done() prints after wrk's own
// report.
func parseWrk(name string, clients int, out string) (Load, error) {
	line := out[strings.LastIndex(strings.TrimRight(out, "\n"), "\n")+1:]
	var r map[string]int64
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		return Load{}, fmt.Errorf("wrk %s: no summary line in %q", name, lastLines(out, 3))
	}
	l := Load{
		Name: name, Requests: r["requests"], OK: r["requests"], Workers: clients,
		Elapsed: time.Duration(r["duration_us"]) * time.Microsecond, Errors: map[string]int64{},
		Fixed: map[float64]time.Duration{},
	}
	for q, k := range map[float64]string{50: "p50", 99: "p99", 99.9: "p999", 100: "max"} {
		l.Fixed[q] = time.Duration(r[k]) * time.Microsecond
	}
	// wrk counts an answer with a status of 400 or more as a status error.
	for k, msg := range map[string]string{"status": "HTTP status 400 or more", "connect": "connect error",
		"read": "read error", "write": "write error", "timeout": "timeout"} {
		if r[k] > 0 {
			l.Errors[msg] = r[k]
			l.OK -= r[k]
		}
	}
	return l, nil
}
