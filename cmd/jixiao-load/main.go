// Command jixiao-load sends single-project scoring requests to a jixiao
// service on this machine at a constant arrival rate (open loop) and
// reports latency percentiles and errors. Load is only ever sent to a
// loopback address.
//
//	jixiao-load [-url http://127.0.0.1:8080] [-key KEY] [-endpoint simulations|evaluations|healthz]
//	            [-rate 1000] [-duration 15s] [-json]
//
// Without -url it starts the service in its own process on 127.0.0.1,
// with a fresh SQLite file and a scorer key, wired as `jixiao serve`
// wires it, and drives that.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"time"

	"jixiao/bench"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		cfg        bench.LoadConfig
		jsonOut    bool
		dbPath     string
		authOff    bool
		cpuProfile string
	)
	flag.StringVar(&cfg.BaseURL, "url", "", "base URL of a running service on a loopback address; empty: start one in this process")
	flag.StringVar(&cfg.Key, "key", os.Getenv("JIXIAO_KEY"), "API key with the scorer role (default $JIXIAO_KEY)")
	flag.StringVar(&cfg.Endpoint, "endpoint", bench.EndpointSimulations, "simulations, evaluations or healthz")
	flag.IntVar(&cfg.Rate, "rate", 1000, "requests per second")
	flag.DurationVar(&cfg.Duration, "duration", 15*time.Second, "how long requests are started (at most 10m)")
	flag.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "per-request timeout")
	flag.IntVar(&cfg.MaxInFlight, "max-inflight", 0, "open requests beyond which due requests are dropped (0: 4 × rate)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the generated projects")
	flag.IntVar(&cfg.FirstID, "first-id", 1, "number of the first project (evaluations store projects: use a new range for each run against one database)")
	flag.BoolVar(&jsonOut, "json", false, "print the report as JSON")
	flag.StringVar(&dbPath, "db", "", "with no -url: the database file of the service started here (default: a temporary file)")
	flag.BoolVar(&authOff, "auth-off", false, "with no -url: start the service without API keys")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of this process (with no -url, the service's too)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "jixiao-load takes no arguments, got %q\n", flag.Args())
		return 2
	}
	if cfg.Duration > 10*time.Minute || cfg.Rate > 100_000 {
		fmt.Fprintln(os.Stderr, "jixiao-load: at most 10m and 100000 requests/s")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if cfg.BaseURL == "" {
		if dbPath == "" {
			dir, err := os.MkdirTemp("", "jixiao-load-")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			dbPath = filepath.Join(dir, "serve.db")
		}
		srv, err := bench.StartServer(ctx, dbPath, !authOff, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer func() {
			if err := srv.Close(); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}()
		cfg.BaseURL, cfg.Key = srv.URL, srv.Key
		fmt.Fprintf(os.Stderr, "service started on %s (database %s)\n", srv.URL, dbPath)
	}
	if err := bench.CheckLoopback(cfg.BaseURL); err != nil {
		fmt.Fprintln(os.Stderr, "jixiao-load:", err)
		return 2
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	rep, err := bench.Load(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "jixiao-load:", err)
		return 1
	}
	if jsonOut {
		out, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Println(string(out))
	} else {
		fmt.Println(rep)
	}
	if rep.Errors+rep.Dropped > 0 {
		return 1
	}
	return 0
}
