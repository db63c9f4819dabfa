package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

const mb = 1 << 20

// memory is scenario 5: the gateway's peak RSS over scenarios 1–4, then its
// RSS with cfg.Streams status streams open on a handful of payments, and
// how long one settlement takes to reach every stream of its payment. The
// reference is the gateway's RSS when idle, right after it started.
func (e *Env) memory(ctx context.Context, cfg Config, cbs *callbacks, rep *Report) error {
	_, loadPeak, err := e.Gateway.Memory()
	if err != nil {
		return err
	}
	idle := float64(e.idleRSS) / mb
	rep.add(Row{Scenario: "5 memory", Metric: "gateway peak RSS, scenarios 1–4", Gateway: float64(loadPeak) / mb, Reference: idle, Unit: "MB",
		Ratio: float64(loadPeak) / float64(e.idleRSS), Goal: "≤ 150 MB", Met: loadPeak <= 150*mb, Note: "reference: RSS when idle after start"})

	const payments = 8
	fx, err := e.precreate(ctx, payments)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: -1, DisableCompression: true, ResponseHeaderTimeout: 60 * time.Second,
	}}
	var (
		wg        sync.WaitGroup
		opened    atomic.Int64
		failed    atomic.Int64
		firstErr  atomic.Value
		succeeded atomic.Int64
		lastSeen  atomic.Int64 // unix nanos of the latest "succeeded" event
	)
	target := fx[0]
	openedCh := make(chan struct{}, cfg.Streams)
	sem := make(chan struct{}, 200)
	start := time.Now()
	for i := range cfg.Streams {
		f := fx[i%payments]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			err := stream(sctx, client, e.Gateway.URL+"/v1/payments/"+f.ID+"/stream?client_token="+f.Token, func() {
				opened.Add(1)
				<-sem
				openedCh <- struct{}{}
			}, func(status string) {
				if status == "succeeded" && f.ID == target.ID {
					succeeded.Add(1)
					lastSeen.Store(time.Now().UnixNano())
				}
			})
			if err != nil && sctx.Err() == nil {
				if failed.Add(1) == 1 {
					firstErr.Store(err.Error())
				}
				select {
				case <-sem:
				default:
				}
				openedCh <- struct{}{}
			}
		}()
	}
	for range cfg.Streams {
		select {
		case <-openedCh:
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Minute):
			return fmt.Errorf("status streams: only %d of %d opened within 2 minutes", opened.Load(), cfg.Streams)
		}
	}
	openTime := time.Since(start)
	time.Sleep(e.settle) // let the gateway's memory settle with every stream open
	rss, _, err := e.Gateway.Memory()
	if err != nil {
		return err
	}
	if n := failed.Load(); n > 0 {
		rep.problem("%d of %d status streams failed to open: %v", n, cfg.Streams, firstErr.Load())
	}
	rep.add(Row{Scenario: "5 memory", Metric: fmt.Sprintf("gateway RSS with %d open status streams", opened.Load()), Gateway: float64(rss) / mb,
		Reference: idle, Unit: "MB", Ratio: float64(rss) / float64(e.idleRSS), Goal: "≤ 150 MB", Met: rss <= 150*mb && failed.Load() == 0,
		Note: fmt.Sprintf("on %d payments; reference: RSS when idle", payments)})

	// One settlement fans out to every stream of its payment.
	subscribers := int64(0)
	for i := range cfg.Streams {
		if fx[i%payments].ID == target.ID {
			subscribers++
		}
	}
	one := newCallbacks(e.Gateway.URL, cbs.account, 0)
	one.txnBase = cbs.txnBase + 1_000_000_000
	one.add([]fixture{target})
	var t vegeta.Target
	if err := one.targeter()(&t); err != nil {
		return err
	}
	cbs.mu.Lock()
	for k, v := range one.sent {
		cbs.sent[k] += v // it is a callback the verification must count
	}
	cbs.mu.Unlock()
	req, err := t.Request()
	if err != nil {
		return err
	}
	sent := time.Now()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return err
	}
	reply, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	res.Body.Close()
	if msg := callbackOK(&vegeta.Result{Code: uint16(res.StatusCode), Body: reply}); msg != "" {
		return fmt.Errorf("the settling callback was refused: %s", msg)
	}
	deadline := time.Now().Add(30 * time.Second)
	for succeeded.Load() < subscribers-failed.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	fanout := time.Duration(lastSeen.Load() - sent.UnixNano())
	if succeeded.Load() < subscribers-failed.Load() {
		rep.problem("only %d of %d streams of the settled payment saw it succeed within 30 s", succeeded.Load(), subscribers)
	}
	_, peak, _ := e.Gateway.Memory()
	cancel()
	wg.Wait()
	rep.section("5. Memory and status streams",
		fmt.Sprintf("- gateway RSS idle after start: %.1f MB; peak over scenarios 1–4 (VmHWM): %.1f MB", idle, float64(loadPeak)/mb),
		fmt.Sprintf("- %d streams on %d payments opened in %s (%d failed); gateway RSS with them open: %.1f MB (%.1f KB per stream over idle); peak so far: %.1f MB",
			opened.Load(), payments, openTime.Round(time.Millisecond), failed.Load(), float64(rss)/mb, float64(rss-e.idleRSS)/1024/float64(max(opened.Load(), 1)), float64(peak)/mb),
		fmt.Sprintf("- one settlement reached all %d streams of its payment %s after the callback was sent (%d got it)", subscribers, ms(fanout), succeeded.Load()),
	)
	logf("  streams: %d open in %s, gateway RSS %.1f MB; fan-out to %d streams in %s", opened.Load(), openTime.Round(time.Millisecond), float64(rss)/mb, subscribers, ms(fanout))
	return nil
}

// stream reads one status stream: onOpen after its first event, onStatus
// for every status event, until ctx ends or the stream does.
func stream(ctx context.Context, client *http.Client, url string, onOpen func(), onStatus func(string)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 200))
		return fmt.Errorf("HTTP %d %s", res.StatusCode, b)
	}
	br := bufio.NewReaderSize(res.Body, 512)
	first := true
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if first {
				return fmt.Errorf("stream ended before its first event: %w", err)
			}
			return nil
		}
		data, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "data: ")
		if !ok {
			continue
		}
		if first {
			first = false
			onOpen()
		}
		if _, status, ok := strings.Cut(data, `"status":"`); ok {
			onStatus(strings.TrimSuffix(status, `"}`))
		}
	}
}
