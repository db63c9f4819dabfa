package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// createBody is the POST /v1/payments request of the n-th creation.
func createBody(n int64) []byte {
	b, _ := json.Marshal(map[string]any{
		"service": "HT-KHAISINH", "reference": fmt.Sprintf("HS-BENCH-C%09d", n),
		"payer": map[string]string{"name": "Nguyễn Văn An", "id_number": "001099012345"},
	})
	return b
}

func (e *Env) auth() http.Header {
	return http.Header{"Authorization": {"Bearer " + e.Portal.TestKey}, "Content-Type": {"application/json"}}
}

// createTargeter makes payments, each with its own Idempotency-Key.
func (e *Env) createTargeter(seq *counter, prefix string) vegeta.Targeter {
	return func(t *vegeta.Target) error {
		n := seq.next()
		h := e.auth()
		h.Set("Idempotency-Key", prefix+strconv.FormatInt(n, 10))
		*t = vegeta.Target{Method: http.MethodPost, URL: e.Gateway.URL + "/v1/payments", Body: createBody(n), Header: h}
		return nil
	}
}

// readTargeter gets random pre-created payments with the secret key.
func (e *Env) readTargeter() vegeta.Targeter {
	n := e.fixtures
	return func(t *vegeta.Target) error {
		*t = vegeta.Target{Method: http.MethodGet, URL: e.Gateway.URL + "/v1/payments/" + fixtureID(1+rand.Int64N(n)), Header: e.auth()}
		return nil
	}
}

// listTargeter gets the first page of the portal's payments.
func (e *Env) listTargeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		*t = vegeta.Target{Method: http.MethodGet, URL: e.Gateway.URL + "/v1/payments?limit=20", Header: e.auth()}
		return nil
	}
}

// sampleCreate makes one payment and returns the response body the gateway
// stores with its idempotency key, for the reference to store as much.
func (e *Env) sampleCreate(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.Gateway.URL+"/v1/payments", strings.NewReader(string(createBody(0))))
	if err != nil {
		return "", err
	}
	req.Header = e.auth()
	req.Header.Set("Idempotency-Key", "bench-sample")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create payment: HTTP %d %s", res.StatusCode, body)
	}
	return string(body), nil
}

// apiLoad is one gateway measurement of scenarios 2–3: wrk when there is
// one, else vegeta.
func (e *Env) apiLoad(ctx context.Context, cfg Config, name, arg string, tr vegeta.Targeter, ok check, clients, round int) (Load, error) {
	if cfg.Wrk == "" {
		return attack(ctx, name, tr, ok, clients, 0, cfg.Duration), nil
	}
	if name == "create" { // fresh idempotency keys for every run
		arg = fmt.Sprintf("%s%d-%d-", arg, clients, round)
	}
	return e.wrkLoad(ctx, cfg, name, arg, clients)
}

// medianBy returns the element with the median key (the upper middle of
// an even count).
func medianBy[T any](xs []T, key func(T) float64) T {
	s := slices.Clone(xs)
	slices.SortFunc(s, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return s[len(s)/2]
}

// APIResult is one endpoint of scenarios 2 and 3.
type APIResult struct {
	Name   string
	Levels []Load
	Refs   []PGBench
	Best   Load
	BestR  PGBench
}

// api runs scenarios 2 and 3: create, read and list beside pgbench running
// the statements each issues, at each of cfg.APILevels.
func (e *Env) api(ctx context.Context, cfg Config, rep *Report) (map[string]*APIResult, error) {
	body, err := e.sampleCreate(ctx)
	if err != nil {
		return nil, err
	}
	reqHash := sha256.Sum256(createBody(0))
	common := map[string]string{"portal": e.Portal.ID}
	vars := map[string]map[string]string{
		"create": {"reqhash": `\x` + hex.EncodeToString(reqHash[:]), "body": body},
		"read":   {"payments": strconv.FormatInt(e.fixtures, 10)},
		"list":   {},
	}
	// The references must find what the gateway finds, or they would time
	// empty lookups: the payments read and a full first page.
	var fixtures, listed int64
	if err := e.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM payments WHERE id BETWEEN $1 AND $2),
		(SELECT count(*) FROM payments WHERE portal_id = $3 AND NOT livemode)`,
		fixtureID(1), fixtureID(e.fixtures), e.Portal.ID).Scan(&fixtures, &listed); err != nil {
		return nil, err
	}
	if fixtures != e.fixtures || listed < 21 {
		return nil, fmt.Errorf("the reference scripts would not find the gateway's rows: payments %d of %d, listed %d", fixtures, e.fixtures, listed)
	}
	seq := &counter{}
	wrk, _ := exec.LookPath(cfg.Wrk)
	if wrk == "" {
		logf("  %s not found (Debian: apt-get install wrk): vegeta generates the load", cfg.Wrk)
	}
	cfg.Wrk = wrk
	runs := []struct {
		name, script string
		arg          string // for bench/api.lua
		tr           vegeta.Targeter
		ok           check
		goal         float64
		scenario     string
	}{
		{"create", "create.sql", "w", e.createTargeter(seq, "bench-"), expectStatus(http.StatusCreated), 0.8, "2 create payment"},
		{"read", "read.sql", strconv.FormatInt(e.fixtures, 10), e.readTargeter(), expectStatus(http.StatusOK), 0.8, "3 read payment"},
		{"list", "list.sql", "", e.listTargeter(), expectStatus(http.StatusOK), 0.8, "3 list payments"},
	}
	out := map[string]*APIResult{}
	for _, r := range runs {
		res := &APIResult{Name: r.name}
		v := map[string]string{}
		for k, x := range common {
			v[k] = x
		}
		for k, x := range vars[r.name] {
			v[k] = x
		}
		for _, c := range cfg.APILevels {
			// Rounds alternate which side goes first, so a drift of the
			// machine's load during the level hits both alike; each side's
			// median round stands for the level.
			var loads []Load
			var refs []PGBench
			for round := range max(cfg.Rounds, 1) {
				gatewayRun := func() error {
					l, err := e.apiLoad(ctx, cfg, r.name, r.arg, r.tr, r.ok, c, round)
					if s := l.ErrorSummary(); s != "" {
						rep.problem("%s at %d clients: %s", r.name, c, s)
					}
					loads = append(loads, l)
					return err
				}
				referenceRun := func() error {
					ref, err := e.pgbench(ctx, r.script, c, cfg.Duration, v)
					refs = append(refs, ref)
					return err
				}
				order := []func() error{gatewayRun, referenceRun}
				if round%2 == 1 {
					order[0], order[1] = order[1], order[0]
				}
				for _, run := range order {
					if err := e.quiesce(ctx); err != nil {
						return nil, err
					}
					if err := run(); err != nil {
						return nil, err
					}
				}
			}
			l := medianBy(loads, Load.PerSecond)
			ref := medianBy(refs, func(p PGBench) float64 { return p.TPS })
			res.Levels, res.Refs = append(res.Levels, l), append(res.Refs, ref)
			if l.PerSecond() > res.Best.PerSecond() {
				res.Best = l
			}
			if ref.TPS > res.BestR.TPS {
				res.BestR = ref
			}
			logf("  %-6s c=%-3d gateway %7.0f/s (p50 %s, p99 %s; CPU µs %s)   pgbench %7.0f/s (CPU µs %s)   (medians of %d rounds)", r.name, c, l.PerSecond(),
				l.Quantile(50).Round(10*time.Microsecond), l.Quantile(99).Round(10*time.Microsecond), l.CPU, ref.TPS, ref.CPU, len(loads))
		}
		ratio := res.Best.PerSecond() / res.BestR.TPS
		rep.add(Row{Scenario: r.scenario, Metric: "requests/s at best concurrency", Gateway: res.Best.PerSecond(), Reference: res.BestR.TPS,
			Unit: "/s", Ratio: ratio, Goal: fmt.Sprintf("≥ %.1f×", r.goal), Met: ratio >= r.goal,
			Note: fmt.Sprintf("gateway best at %d clients, pgbench %s at %d", res.Best.Workers, r.script, res.BestR.Clients)})
		out[r.name] = res
	}
	lines := []string{"| endpoint | clients | gateway req/s | p50 | p99 | CPU µs/req: machine / gateway / wrk / rest | pgbench script | pgbench tps | CPU µs/tx: machine / – / pgbench / rest | ratio |",
		"|---|---:|---:|---:|---:|---:|---|---:|---:|---:|"}
	for _, name := range []string{"create", "read", "list"} {
		res := out[name]
		for i, l := range res.Levels {
			lines = append(lines, fmt.Sprintf("| %s | %d | %.0f | %s | %s | %s | %s | %.0f | %s | %.2f× |", name, l.Workers, l.PerSecond(),
				ms(l.Quantile(50)), ms(l.Quantile(99)), l.CPU, res.Refs[i].Script, res.Refs[i].TPS, res.Refs[i].CPU, l.PerSecond()/res.Refs[i].TPS))
		}
	}
	gen := "wrk (bench/api.lua), closed loop, 2 threads"
	if cfg.Wrk == "" {
		gen = "vegeta, closed loop (wrk was not found)"
	}
	lines = append(lines, "", "Load generator: "+gen+"; pgbench -M prepared -j 2 with the same number of clients. "+
		fmt.Sprintf("Each figure is the median of %d rounds, gateway and pgbench taking turns to go first. ", max(cfg.Rounds, 1))+
		"CPU per request: the machine's busy time (/proc/stat), the gateway process's, the load generator's (rusage), and the rest, which is PostgreSQL's.")
	rep.section("2–3. Create, read and list payments by concurrency", lines...)
	return out, nil
}
