//go:build linux

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startBackend starts the HTTP server behind HAProxy: it answers 200 with
// X-Backend-Body-Len (the request body length it received) and counts the
// requests it served.
func startBackend(t testing.TB) (addr string, served *atomic.Int64) {
	t.Helper()
	served = new(atomic.Int64)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		served.Add(1)
		w.Header().Set("X-Backend-Body-Len", strconv.FormatInt(n, 10))
		io.WriteString(w, "ok\n")
	}))
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return l.Addr().String(), served
}

// newClient returns an HTTP/1.1 client with keep-alive, up to conns
// connections per host, and the given per-request timeout.
func newClient(t testing.TB, conns int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

// Response is what the tests look at in an HTTP response.
type Response struct {
	Status  int
	Header  http.Header
	Body    string
	Local   string // the client's address (host:port) for the request
	Elapsed time.Duration
}

// do sends one request (hdr and body may be nil) and reads the whole
// response, so that the connection is reused.
func do(ctx context.Context, c *http.Client, method, url string, hdr http.Header, body []byte) (Response, error) {
	var r Response
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return r, err
	}
	maps.Copy(req.Header, hdr)
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { r.Local = info.Conn.LocalAddr().String() },
	}))
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return r, fmt.Errorf("%s %s: %w", method, url, err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	r.Status, r.Header, r.Body, r.Elapsed = res.StatusCode, res.Header, string(b), time.Since(start)
	if err != nil {
		return r, fmt.Errorf("%s %s: body: %w", method, url, err)
	}
	return r, nil
}

// fetch is do with a 10 s deadline that fails the test on a transport
// error; the test checks the status itself.
func fetch(t testing.TB, c *http.Client, method, url string, hdr http.Header, body []byte) Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := do(ctx, c, method, url, hdr, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustGet is fetch(GET) that also fails the test on a non-200.
func mustGet(t testing.TB, c *http.Client, url string) Response {
	t.Helper()
	r := fetch(t, c, http.MethodGet, url, nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, r.Status)
	}
	return r
}

// LoadResult sums up a load run.
type LoadResult struct {
	Requests   int64 // completed with a response
	Non200     int64
	Errors     int64 // transport errors
	SpoeErrors int64 // responses carrying a non-empty X-Spoe-Error
	MissingVar int64 // responses without the expected variable header
	Duration   time.Duration
	FirstError string
	Latency    []time.Duration // client-side, sorted
	Ptime      []int           // SPOE processing time (ms) from X-Spoe-Ptime, sorted
}

func (r *LoadResult) RPS() float64 { return float64(r.Requests) / r.Duration.Seconds() }

func percentile[T any](sorted []T, p float64) T {
	var zero T
	if len(sorted) == 0 {
		return zero
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func (r *LoadResult) String() string {
	return fmt.Sprintf("%d requests in %v (%.0f req/s), non-200 %d, transport errors %d, SPOE errors %d, missing variable %d; "+
		"client latency p50 %v p99 %v max %v; SPOE processing time (ms, HAProxy's set-process-time) p50 %d p99 %d max %d",
		r.Requests, r.Duration.Round(time.Millisecond), r.RPS(), r.Non200, r.Errors, r.SpoeErrors, r.MissingVar,
		percentile(r.Latency, 0.5), percentile(r.Latency, 0.99), percentile(r.Latency, 1),
		percentile(r.Ptime, 0.5), percentile(r.Ptime, 0.99), percentile(r.Ptime, 1))
}

// runLoad sends GETs to urls (round robin) from workers goroutines over
// keep-alive connections, for d or until maxRequests, whichever comes first.
// wantHeader, when set, is a response header that must be non-empty.
func runLoad(t testing.TB, urls []string, workers int, d time.Duration, maxRequests int64, wantHeader string) *LoadResult {
	t.Helper()
	return runLoadObserved(t, urls, workers, d, maxRequests, wantHeader, nil)
}

// runLoadObserved is runLoad calling observe (from many goroutines) with
// every response or transport error and the time it completed.
func runLoadObserved(t testing.TB, urls []string, workers int, d time.Duration, maxRequests int64, wantHeader string,
	observe func(at time.Time, r Response, err error)) *LoadResult {
	t.Helper()
	c := newClient(t, workers, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu  sync.Mutex
		res LoadResult
		n   atomic.Int64
		wg  sync.WaitGroup
	)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var pt []int
			var local LoadResult
			for i := w; ctx.Err() == nil; i++ {
				if n.Add(1) > maxRequests {
					break
				}
				r, err := do(ctx, c, http.MethodGet, urls[i%len(urls)], nil, nil)
				if err != nil && ctx.Err() != nil {
					break // the run ended during this request
				}
				if observe != nil {
					observe(time.Now(), r, err)
				}
				if err != nil {
					local.Errors++
					if local.FirstError == "" {
						local.FirstError = err.Error()
					}
					continue
				}
				local.Requests++
				lat = append(lat, r.Elapsed)
				if r.Status != http.StatusOK {
					local.Non200++
				}
				if e := r.Header.Get("X-Spoe-Error"); e != "" {
					local.SpoeErrors++
					if local.FirstError == "" {
						local.FirstError = "X-Spoe-Error: " + e
					}
				}
				if wantHeader != "" && r.Header.Get(wantHeader) == "" {
					local.MissingVar++
				}
				if p, err := strconv.Atoi(r.Header.Get("X-Spoe-Ptime")); err == nil {
					pt = append(pt, p)
				}
			}
			mu.Lock()
			res.Requests += local.Requests
			res.Non200 += local.Non200
			res.Errors += local.Errors
			res.SpoeErrors += local.SpoeErrors
			res.MissingVar += local.MissingVar
			if res.FirstError == "" {
				res.FirstError = local.FirstError
			}
			res.Latency = append(res.Latency, lat...)
			res.Ptime = append(res.Ptime, pt...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Duration = time.Since(start)
	slices.Sort(res.Latency)
	slices.Sort(res.Ptime)
	return &res
}
