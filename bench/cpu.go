package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// CPU is where a measurement's processor time went, per request: the
// machine in all (from /proc/stat), the gateway process, the load
// generator (its rusage), and the rest, which on this machine is
// PostgreSQL. It shows what a ratio is made of: the gateway's own share
// against the database work both sides do.
type CPU struct {
	Machine, Gateway, Client time.Duration // per request
}

// Rest is the machine's time that neither the gateway nor the client
// spent: PostgreSQL, and whatever else ran.
func (c CPU) Rest() time.Duration { return max(c.Machine-c.Gateway-c.Client, 0) }

func (c CPU) String() string {
	if c.Machine == 0 {
		return "–"
	}
	return fmt.Sprintf("%d / %d / %d / %d", c.Machine.Microseconds(), c.Gateway.Microseconds(), c.Client.Microseconds(), c.Rest().Microseconds())
}

// cpuMark is a reading of the machine's busy time and one process's.
type cpuMark struct{ machine, proc time.Duration }

// clockTick is USER_HZ, which Linux fixes at 100 for /proc's tick counts.
const clockTick = 10 * time.Millisecond

// markCPU reads the counters; pid 0 reads only the machine's.
func markCPU(pid int) cpuMark {
	var m cpuMark
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := bytes.Cut(b, []byte("\n"))
		f := strings.Fields(string(line))
		// cpu user nice system idle iowait irq softirq steal …: busy is
		// everything but idle and iowait.
		for i, v := range f[1:min(len(f), 9)] {
			if i == 3 || i == 4 {
				continue
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			m.machine += time.Duration(n) * clockTick
		}
	}
	if pid > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			// The fields after the command's closing parenthesis; utime and
			// stime are the 14th and 15th of the line.
			s := string(b)
			f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
			if len(f) > 12 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				st, _ := strconv.ParseInt(f[12], 10, 64)
				m.proc = time.Duration(u+st) * clockTick
			}
		}
	}
	return m
}

// cpuSince is the CPU per request since start, given the client process
// that generated the n requests.
func cpuSince(start cpuMark, pid int, client *exec.Cmd, n int64) CPU {
	if n <= 0 {
		return CPU{}
	}
	end := markCPU(pid)
	c := CPU{Machine: (end.machine - start.machine) / time.Duration(n), Gateway: (end.proc - start.proc) / time.Duration(n)}
	if client != nil && client.ProcessState != nil {
		c.Client = (client.ProcessState.UserTime() + client.ProcessState.SystemTime()) / time.Duration(n)
	}
	return c
}
