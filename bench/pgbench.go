package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PGBench is one pgbench run of a reference script.
type PGBench struct {
	Script  string
	Clients int
	TPS     float64 // transactions per second, without connection time
	Txns    int64
	Failed  int64
	Latency time.Duration // average
	CPU     CPU           // per transaction
}

var (
	reTPS     = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	reTxns    = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)
	reFailed  = regexp.MustCompile(`number of failed transactions: ([0-9]+)`)
	reLatency = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// pgbench runs script (a file in bench/) with clients connections for d,
// in prepared mode, as `pgbench -n -f script -c C -j 2 -T secs -M prepared`.
func (e *Env) pgbench(ctx context.Context, script string, clients int, d time.Duration, vars map[string]string) (PGBench, error) {
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	args := []string{"-n", "-f", filepath.Join(e.Root, "bench", script), "-c", strconv.Itoa(clients),
		"-j", strconv.Itoa(min(2, clients)), "-T", strconv.Itoa(secs), "-M", "prepared"}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-D", k+"="+vars[k])
	}
	args = append(args, e.DBURL)
	cmd := exec.CommandContext(ctx, filepath.Join(e.PGBin, "pgbench"), args...)
	cmd.Env = childEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := markCPU(0)
	err := cmd.Run()
	res := PGBench{Script: script, Clients: clients}
	text := out.String()
	if m := reTPS.FindStringSubmatch(text); m != nil {
		res.TPS, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reTxns.FindStringSubmatch(text); m != nil {
		res.Txns, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reFailed.FindStringSubmatch(text); m != nil {
		res.Failed, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reLatency.FindStringSubmatch(text); m != nil {
		ms, _ := strconv.ParseFloat(m[1], 64)
		res.Latency = time.Duration(ms * float64(time.Millisecond))
	}
	res.CPU = cpuSince(start, 0, cmd, res.Txns)
	if err != nil || res.TPS == 0 {
		return res, fmt.Errorf("pgbench %s -c %d: %v: %s", script, clients, err, lastLines(errb.String()+text, 6))
	}
	return res, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
