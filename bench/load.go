package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"jixiao"
)

// Endpoints a load run can drive, each with one inline project a request.
const (
	// EndpointSimulations is POST /api/v1/simulations: the project is
	// scored under the baseline and the scenario (the same rule set) and
	// compared; nothing is stored.
	EndpointSimulations = "simulations"
	// EndpointEvaluations is POST /api/v1/evaluations: the project is
	// stored, an official run of it is created, scored, stored, and its
	// results read back, all synchronously.
	EndpointEvaluations = "evaluations"
	// EndpointHealthz is GET /healthz, which does no work: the control
	// that shows what the machine, the network stack, the HTTP server
	// and the load generator add by themselves.
	EndpointHealthz = "healthz"
)

// LoadConfig is an open-loop load run: requests are sent at a constant
// arrival rate whatever the responses do, so a slow server meets the same
// load, and latency is counted from the time a request was due, not from
// when it could be sent (no coordinated omission).
type LoadConfig struct {
	BaseURL     string        // e.g. http://127.0.0.1:8080; only loopback hosts are accepted
	Endpoint    string        // EndpointSimulations, EndpointEvaluations or EndpointHealthz
	Key         string        // API key sent as a bearer token; "" for none
	Rate        int           // requests per second
	Duration    time.Duration // how long requests are started
	Timeout     time.Duration // per request; 0 means 10 s
	MaxInFlight int           // requests due while this many are open are counted as dropped; 0 means 4 × Rate
	Seed        uint64        // for the projects
	FirstID     int           // number of the first project; distinct runs against one database need distinct ranges
}

// LoadReport is what a load run measured.
type LoadReport struct {
	Endpoint   string
	Rate       int
	Duration   time.Duration // from the first due time to the last response
	Sent       int
	OK         int
	Errors     int            // transport errors, timeouts and non-2xx responses
	Dropped    int            // not sent: MaxInFlight requests were open
	ErrorKinds map[string]int // error or status → count
	Latency    Percentiles    // due time → response read, of the OK requests
	LateStart  time.Duration  // the largest delay of a send after its due time
}

// Percentiles of a latency distribution.
type Percentiles struct {
	P50, P90, P99, P999, Max time.Duration
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(d))+0.5) - 1
		return d[min(max(i, 0), len(d)-1)]
	}
	return Percentiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), P999: at(0.999), Max: d[len(d)-1]}
}

func (r LoadReport) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
	s := fmt.Sprintf("%s at %d/s for %v: sent %d, ok %d, errors %d, dropped %d; latency p50 %s p90 %s p99 %s p99.9 %s max %s; latest send %s after due",
		r.Endpoint, r.Rate, r.Duration.Round(time.Millisecond), r.Sent, r.OK, r.Errors, r.Dropped,
		ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99), ms(r.Latency.P999), ms(r.Latency.Max), ms(r.LateStart))
	if len(r.ErrorKinds) > 0 {
		s += fmt.Sprintf("; errors: %v", r.ErrorKinds)
	}
	return s
}

// CheckLoopback refuses a base URL whose host is not a loopback address:
// load is only ever sent to this machine.
func CheckLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s: want an http URL", base)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s: load is only sent to a loopback address such as 127.0.0.1", base)
	}
	return nil
}

// RequestBody returns the JSON body of a single-project request to
// endpoint.
func RequestBody(endpoint string, p *jixiao.Project) ([]byte, error) {
	switch endpoint {
	case EndpointSimulations, EndpointEvaluations:
		return json.Marshal(map[string]any{"projects": []*jixiao.Project{p}})
	case EndpointHealthz:
		return nil, nil
	}
	return nil, fmt.Errorf("unknown endpoint %q (want %s, %s or %s)", endpoint, EndpointSimulations, EndpointEvaluations, EndpointHealthz)
}

// Load runs cfg and reports. The bodies are made before the first request
// (one distinct project a request), so making them costs nothing during
// the run.
func Load(ctx context.Context, cfg LoadConfig) (LoadReport, error) {
	if err := CheckLoopback(cfg.BaseURL); err != nil {
		return LoadReport{}, err
	}
	if cfg.Rate <= 0 || cfg.Duration <= 0 {
		return LoadReport{}, errors.New("load: rate and duration must be positive")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 4 * cfg.Rate
	}
	n := int(float64(cfg.Rate) * cfg.Duration.Seconds())
	if n <= 0 {
		return LoadReport{}, errors.New("load: rate × duration is less than one request")
	}
	const warm = 5 // requests before the clock starts, with bodies of their own
	g := NewGen(cfg.Seed)
	bodies := make([][]byte, n+warm)
	for i := range bodies {
		p := g.Project(cfg.FirstID + i)
		var err error
		if bodies[i], err = RequestBody(cfg.Endpoint, &p); err != nil {
			return LoadReport{}, err
		}
	}
	target := strings.TrimSuffix(cfg.BaseURL, "/") + "/api/v1/" + cfg.Endpoint
	if cfg.Endpoint == EndpointHealthz {
		target = strings.TrimSuffix(cfg.BaseURL, "/") + "/healthz"
	}

	transport := &http.Transport{
		Proxy:               nil, // never through a proxy: loopback only
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout}).DialContext,
		MaxIdleConns:        cfg.MaxInFlight,
		MaxIdleConnsPerHost: cfg.MaxInFlight,
		IdleConnTimeout:     time.Minute,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout}

	// Warm up: a few requests, one at a time, before the clock starts.
	for _, body := range bodies[n:] {
		status, err := send(ctx, client, target, cfg.Key, body)
		if err == nil && status/100 != 2 {
			err = fmt.Errorf("status %d", status)
		}
		if err != nil {
			return LoadReport{}, fmt.Errorf("load: warm-up request: %w", err)
		}
	}
	bodies = bodies[:n]

	rep := LoadReport{Endpoint: cfg.Endpoint, Rate: cfg.Rate, ErrorKinds: map[string]int{}}
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, n)
		wg        sync.WaitGroup
		inFlight  = make(chan struct{}, cfg.MaxInFlight)
	)
	interval := time.Second / time.Duration(cfg.Rate)
	timer := time.NewTimer(time.Hour) // one timer for every wait
	defer timer.Stop()
	start := time.Now()
	var last time.Time
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				wg.Wait()
				return rep, ctx.Err()
			}
		}
		rep.LateStart = max(rep.LateStart, time.Since(due))
		select {
		case inFlight <- struct{}{}:
		default:
			rep.Dropped++
			continue
		}
		rep.Sent++
		wg.Add(1)
		go func(body []byte, due time.Time) {
			defer wg.Done()
			defer func() { <-inFlight }()
			status, err := send(ctx, client, target, cfg.Key, body)
			end := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if end.After(last) {
				last = end
			}
			switch {
			case err != nil:
				rep.Errors++
				rep.ErrorKinds[errorKind(err)]++
			case status/100 != 2:
				rep.Errors++
				rep.ErrorKinds[http.StatusText(status)]++
			default:
				rep.OK++
				latencies = append(latencies, end.Sub(due))
			}
		}(bodies[i], due)
	}
	wg.Wait()
	rep.Duration = last.Sub(start)
	rep.Latency = percentiles(latencies)
	return rep, nil
}

// send posts body and reads the whole response.
func send(ctx context.Context, client *http.Client, target, key string, body []byte) (int, error) {
	method, reader := http.MethodGet, io.Reader(nil)
	if body != nil {
		method, reader = http.MethodPost, bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func errorKind(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}
