package bench

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkHTTP sends single-project scoring requests at a constant
// arrival rate (JIXIAO_BENCH_RATE per second, 1000 by default) for
// JIXIAO_BENCH_SECONDS (15) to the service running in this process on
// 127.0.0.1, with its real router, a scorer key and an SQLite file, and
// reports latency percentiles from each request's due time. One iteration
// is one whole load run: use -benchtime=1x.
//
//   - simulations: POST /api/v1/simulations, one inline project, nothing
//     stored;
//   - evaluations: POST /api/v1/evaluations, one inline project, stored
//     and officially scored, synchronously;
//   - healthz: GET /healthz, the control: the same rate and client on a
//     handler that does nothing, to tell the machine's own tail (CPU
//     shared with other processes, scheduling, GC) from the service's.
func BenchmarkHTTP(b *testing.B) {
	rate := envInt(b, "JIXIAO_BENCH_RATE", 1000)
	seconds := envInt(b, "JIXIAO_BENCH_SECONDS", 15)
	for _, endpoint := range []string{EndpointHealthz, EndpointSimulations, EndpointEvaluations} {
		b.Run(endpoint, func(b *testing.B) {
			ctx := context.Background()
			srv, err := StartServer(ctx, filepath.Join(b.TempDir(), "serve.db"), true, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := srv.Close(); err != nil {
					b.Error(err)
				}
			}()
			var rep LoadReport
			for i := 0; i < b.N; i++ {
				rep, err = Load(ctx, LoadConfig{
					BaseURL: srv.URL, Endpoint: endpoint, Key: srv.Key, Rate: rate,
					Duration: time.Duration(seconds) * time.Second, Seed: uint64(i + 1), FirstID: i * 10_000_000,
				})
				if err != nil {
					b.Fatal(err)
				}
				b.Log(rep)
			}
			msf := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(msf(rep.Latency.P50), "p50-ms")
			b.ReportMetric(msf(rep.Latency.P90), "p90-ms")
			b.ReportMetric(msf(rep.Latency.P99), "p99-ms")
			b.ReportMetric(msf(rep.Latency.Max), "max-ms")
			b.ReportMetric(float64(rep.Errors+rep.Dropped), "errors")
			b.ReportMetric(float64(rep.OK), "ok")
		})
	}
}

// TestLoad drives both endpoints briefly at a low rate: every request
// succeeds and is timed.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	srv, err := StartServer(ctx, filepath.Join(t.TempDir(), "serve.db"), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}()
	for i, endpoint := range []string{EndpointHealthz, EndpointSimulations, EndpointEvaluations} {
		rep, err := Load(ctx, LoadConfig{BaseURL: srv.URL, Endpoint: endpoint, Key: srv.Key, Rate: 100, Duration: 300 * time.Millisecond, Seed: 9, FirstID: i * 1000})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Sent != 30 || rep.OK != 30 || rep.Errors+rep.Dropped != 0 {
			t.Errorf("%v", rep)
		}
		if rep.Latency.P50 <= 0 || rep.Latency.P50 > rep.Latency.P99 || rep.Latency.P99 > rep.Latency.Max {
			t.Errorf("latencies out of order: %+v", rep.Latency)
		}
	}
	// A wrong key is an error, counted, not a crash.
	rep, err := Load(ctx, LoadConfig{BaseURL: srv.URL, Endpoint: EndpointSimulations, Key: "nope", Rate: 100, Duration: 50 * time.Millisecond})
	if err == nil {
		t.Errorf("a rejected warm-up went unnoticed: %v", rep)
	}
}

func TestCheckLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080":   true,
		"http://localhost:8080":   true,
		"http://[::1]:8080/":      true,
		"http://10.0.0.1:8080":    false,
		"http://example.com":      false,
		"ftp://127.0.0.1":         false,
		"http://127.0.0.1.nip.io": false,
	} {
		if err := CheckLoopback(url); (err == nil) != ok {
			t.Errorf("CheckLoopback(%s) = %v", url, err)
		}
	}
}
