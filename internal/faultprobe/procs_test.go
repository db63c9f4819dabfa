package faultprobe_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// build returns the commands' binaries: those `make` left in bin/ when
// they are newer than every file of the checkout (make test builds them
// just before), else compiled into dir in one go build (the links run in
// parallel).
func build(t *testing.T, dir string, pkgs ...string) []string {
	t.Helper()
	if bins, ok := prebuilt(pkgs); ok {
		t.Logf("using the binaries make built in %s", filepath.Dir(bins[0]))
		return bins
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	var out []string
	for _, p := range pkgs {
		args = append(args, "github.com/civicpay/civicpay/"+p)
		out = append(out, filepath.Join(dir, filepath.Base(p)))
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOTOOLCHAIN=local") // never download anything
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", pkgs, err, b)
	}
	return out
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// instance is one gateway process, restarted on the same address after
// it is killed, as a supervisor would.
type instance struct {
	name, addr, bin, logDir string
	env                     []string
	proxy                   *httputil.ReverseProxy
	alive                   atomic.Bool
	mu                      sync.Mutex
	cmd                     *exec.Cmd
	starts                  int
}

func (in *instance) start(t *testing.T) {
	t.Helper()
	in.mu.Lock()
	in.starts++
	logf, err := os.Create(filepath.Join(in.logDir, fmt.Sprintf("%s-%d.log", in.name, in.starts)))
	if err != nil {
		in.mu.Unlock()
		t.Fatal(err)
	}
	cmd := exec.Command(in.bin, "serve")
	cmd.Env = append(in.env, "CIVICPAY_ADDR="+in.addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		in.mu.Unlock()
		t.Fatal(err)
	}
	in.cmd = cmd
	in.mu.Unlock()
	if err := waitReady("http://"+in.addr, 30*time.Second); err != nil {
		t.Fatalf("%s did not become ready: %v (log in %s)", in.name, err, logf.Name())
	}
	in.alive.Store(true)
}

// kill SIGKILLs the process and waits for it to be gone.
func (in *instance) kill() {
	in.alive.Store(false)
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd != nil && in.cmd.Process != nil {
		_ = in.cmd.Process.Kill()
		_ = in.cmd.Wait()
		in.cmd = nil
	}
}

func waitReady(base string, within time.Duration) error { return waitUp(base+"/readyz", within) }

// waitUp polls u until it answers 200.
func waitUp(u string, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		res, err := http.Get(u)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
			err = fmt.Errorf("%s: %d", u, res.StatusCode)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return last
}

// balancer round-robins over the live instances; armed, it SIGKILLs the
// instance it hands the next callback to, a moment after forwarding it —
// before or after that instance commits, as a crash would.
type balancer struct {
	instances []*instance
	next      atomic.Uint64
	armed     atomic.Bool
	killed    chan *instance
}

func newBalancer(ins ...*instance) *balancer {
	b := &balancer{instances: ins, killed: make(chan *instance, 16)}
	for _, in := range ins {
		u, _ := url.Parse("http://" + in.addr)
		in.proxy = httputil.NewSingleHostReverseProxy(u)
		in.proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	}
	return b
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in *instance
	for range len(b.instances) {
		c := b.instances[b.next.Add(1)%uint64(len(b.instances))]
		if c.alive.Load() {
			in = c
			break
		}
	}
	if in == nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/v1/callbacks/") && b.armed.CompareAndSwap(true, false) {
		go func() {
			time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
			in.kill()
			b.killed <- in
		}()
	}
	in.proxy.ServeHTTP(w, r)
}

func postJSON(ctx context.Context, u, auth string, body string, headers ...string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return http.DefaultClient.Do(req)
}

// prebuilt finds bin/<command> for every package, all newer than any file
// of the module outside bin/, .data/ and .git/ (sources, embedded SQL,
// the widget…); anything newer means a rebuild.
func prebuilt(pkgs []string) ([]string, bool) {
	root, err := moduleRoot()
	if err != nil {
		return nil, false
	}
	var bins []string
	oldest := time.Time{}
	for _, p := range pkgs {
		b := filepath.Join(root, "bin", filepath.Base(p))
		st, err := os.Stat(b)
		if err != nil || st.Mode()&0o111 == 0 {
			return nil, false
		}
		if oldest.IsZero() || st.ModTime().Before(oldest) {
			oldest = st.ModTime()
		}
		bins = append(bins, b)
	}
	stale := errors.New("stale")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "bin", ".data", ".git", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if info, err := d.Info(); err != nil || !info.ModTime().Before(oldest) {
			return stale
		}
		return nil
	})
	return bins, err == nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found")
		}
		dir = parent
	}
}
