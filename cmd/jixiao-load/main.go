// Command jixiao-load sends single-project scoring requests to a jixiao
// service on this machine at a constant arrival rate (open loop) and
// reports latency percentiles and errors. Load is only ever sent to a
// loopback address.
//
//	jixiao-load [-url http://127.0.0.1:8080] [-key KEY] [-endpoint simulations|evaluations|healthz]
//	            [-rate 1000] [-duration 15s] [-json]
//	jixiao-load -serve 127.0.0.1:18080 [-db FILE] [-cpuprofile F] [-mutexprofile F] [-blockprofile F] [-memprofile F]
//
// Without -url it starts the service in its own process on 127.0.0.1,
// with a fresh SQLite file and a scorer key, wired as `jixiao serve`
// wires it, and drives that.
//
// With -serve it only runs that service, on the given loopback address,
// logging each request as JSON to stderr as `jixiao serve` does, and
// prints its URL and scorer key on stdout; it serves until interrupted
// (SIGINT or SIGTERM), then writes the profiles asked for. Another
// jixiao-load with -url drives it, so that the profiles are of the
// service's process alone.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
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
		serveAddr  string
		mutexProf  string
		blockProf  string
		memProf    string
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
	flag.StringVar(&serveAddr, "serve", "", "only run the service on this loopback host:port until interrupted")
	flag.StringVar(&mutexProf, "mutexprofile", "", "write a mutex contention profile of this process (every 10th event)")
	flag.StringVar(&blockProf, "blockprofile", "", "write a blocking profile of this process (events of about 10µs and more)")
	flag.StringVar(&memProf, "memprofile", "", "write an allocation profile of this process when it ends")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "jixiao-load takes no arguments, got %q\n", flag.Args())
		return 2
	}
	if cfg.Duration > 10*time.Minute || cfg.Rate > 100_000 {
		fmt.Fprintln(os.Stderr, "jixiao-load: at most 10m and 100000 requests/s")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if mutexProf != "" {
		runtime.SetMutexProfileFraction(10)
		defer writeProfile("mutex", mutexProf)
	}
	if blockProf != "" {
		runtime.SetBlockProfileRate(10_000)
		defer writeProfile("block", blockProf)
	}
	if memProf != "" {
		defer writeProfile("allocs", memProf)
	}
	if serveAddr != "" {
		return serveOnly(ctx, serveAddr, dbPath, !authOff, cpuProfile)
	}

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

// serveOnly runs the service on addr until ctx ends.
func serveOnly(ctx context.Context, addr, dbPath string, auth bool, cpuProfile string) int {
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "jixiao-load-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "serve.db")
	}
	srv, err := bench.StartServerAt(ctx, addr, dbPath, auth, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "jixiao-load:", err)
		return 1
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
	fmt.Printf("url %s\nkey %s\n", srv.URL, srv.Key)
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func writeProfile(name, path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup(name).WriteTo(f, 0)
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "jixiao-load:", err)
	}
}
