package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"jixiao"
	"jixiao/evaluation"
	"jixiao/storage"
)

// envInt reads a positive integer from the environment, or def.
func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// templates holds seeded database files, one per size, made once per
// test binary (seeding is not what is measured), in a temporary directory
// removed at the end; or, when JIXIAO_BENCH_DIR is set, kept there and
// reused by later runs.
var templates struct {
	sync.Mutex
	dir   string
	keep  bool
	paths map[int]string
}

// genVersion names the generator's output in kept templates: change it
// when Gen changes, so that old templates are not reused.
const genVersion = 1

// template returns a closed database file with count generated projects
// (seed 1) and nothing else. Callers copy it; they never open it.
func template(tb testing.TB, count int) string {
	tb.Helper()
	templates.Lock()
	defer templates.Unlock()
	if p, ok := templates.paths[count]; ok {
		return p
	}
	if templates.dir == "" {
		if dir := os.Getenv("JIXIAO_BENCH_DIR"); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				tb.Fatal(err)
			}
			templates.dir, templates.keep = dir, true
		} else {
			dir, err := os.MkdirTemp("", "jixiao-bench-")
			if err != nil {
				tb.Fatal(err)
			}
			templates.dir = dir
		}
		templates.paths = map[int]string{}
	}
	path := filepath.Join(templates.dir, fmt.Sprintf("template-v%d-%d.db", genVersion, count))
	if _, err := os.Stat(path); err == nil && templates.keep {
		// Kept from an earlier run: brought to the current schema.
		db, err := storage.OpenSQLite(context.Background(), path)
		if err == nil {
			err = db.Close()
		}
		if err != nil {
			tb.Fatal(err)
		}
		templates.paths[count] = path
		return path
	}
	start := time.Now()
	tmp := path + ".seeding"
	if err := RemoveDB(tmp); err != nil {
		tb.Fatal(err)
	}
	if err := Seed(context.Background(), tmp, count, 1); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded %d projects in %v", count, time.Since(start).Round(time.Millisecond))
	templates.paths[count] = path
	return path
}

func TestMain(m *testing.M) {
	if child := os.Getenv(childEnv); child != "" {
		os.Exit(runChild(child))
	}
	code := m.Run()
	if templates.dir != "" && !templates.keep {
		os.RemoveAll(templates.dir)
	}
	os.Exit(code)
}

// BenchmarkOfficialBatch scores and stores an official run of every
// stored project (100,000 by default; JIXIAO_BENCH_N to change), as
// evaluation.Service runs it on an SQLite file, and in the same iteration
// inserts the same score rows (the same result JSON, already encoded) into
// a copy of the same database with PlainInsert. Each iteration starts
// each from a fresh copy of the seeded file; the order rotates between
// iterations.
//
// Metrics: projects/s of each (wall time), and the ratio of the service's
// time to the plain insert's (x-plain), in wall time and in CPU time.
//
// JIXIAO_BENCH_PHASE=service or plain measures one alone (for profiling;
// plain after one unmeasured service run for its rows). CPU profiles carry
// the label phase=service or plain.
// JIXIAO_BENCH_WORKERS and JIXIAO_BENCH_CHUNK set the service's scoring
// goroutines and chunk size (the plain insert keeps chunks of 1000).
func BenchmarkOfficialBatch(b *testing.B) {
	count := envInt(b, "JIXIAO_BENCH_N", 100_000)
	only := os.Getenv("JIXIAO_BENCH_PHASE")
	workers := envInt(b, "JIXIAO_BENCH_WORKERS", 1<<30)
	if workers == 1<<30 {
		workers = 0
	}
	chunk := envInt(b, "JIXIAO_BENCH_CHUNK", evaluation.DefaultChunkSize)
	tmpl := template(b, count)
	rs, err := LoadRules()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "run.db")

	var rows []ScoreRow
	timings := map[string]*Timing{}
	measure := func(phase string, fn func(ctx context.Context) (Timing, error)) {
		if err := CopyFile(tmpl, path); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var t Timing
		var err error
		pprof.Do(ctx, pprof.Labels("phase", phase), func(ctx context.Context) { t, err = fn(ctx) })
		b.StopTimer()
		if err != nil {
			b.Fatalf("%s: %v", phase, err)
		}
		if timings[phase] == nil {
			timings[phase] = &Timing{}
		}
		timings[phase].Wall += t.Wall
		timings[phase].CPU += t.CPU
		if err := RemoveDB(path); err != nil {
			b.Fatal(err)
		}
	}
	official := func(exec Executor) func(ctx context.Context) (Timing, error) {
		return func(ctx context.Context) (Timing, error) {
			run, t, err := Official(ctx, path, rs, evaluation.Service{Workers: workers, ChunkSize: chunk}, exec)
			if err != nil {
				return t, err
			}
			if run.Scored != count || run.Rejected != 0 || run.Status != jixiao.RunDone {
				return t, fmt.Errorf("run %s, scored %d and rejected %d, want done, %d and 0", run.Status, run.Scored, run.Rejected, count)
			}
			if rows == nil {
				if rows, err = ReadScores(ctx, path, run.ID); err != nil {
					return t, err
				}
				if len(rows) != count {
					return t, fmt.Errorf("read %d score rows, want %d", len(rows), count)
				}
			}
			return t, nil
		}
	}
	phases := map[string]func(ctx context.Context) (Timing, error){
		"service": official(nil),
		"plain": func(ctx context.Context) (Timing, error) {
			return PlainInsert(ctx, path, rows)
		},
	}
	order := []string{"service", "plain"}
	if only != "" {
		if phases[only] == nil {
			b.Fatalf("JIXIAO_BENCH_PHASE=%q: want service or plain", only)
		}
		order = []string{only}
	}

	b.StopTimer()
	b.ResetTimer()
	if only == "plain" {
		measure("service", phases["service"]) // for the rows
		delete(timings, "service")
		b.ResetTimer()
	}
	for i := 0; i < b.N; i++ {
		for k := range order {
			phase := order[(i+k)%len(order)]
			measure(phase, phases[phase])
		}
	}
	n := float64(count * b.N)
	plain := timings["plain"]
	for phase, t := range timings {
		b.ReportMetric(n/t.Wall.Seconds(), phase+"-projects/s")
		if plain != nil && phase != "plain" {
			b.ReportMetric(t.Wall.Seconds()/plain.Wall.Seconds(), phase+"-x-plain")
			if plain.CPU > 0 {
				b.ReportMetric(t.CPU.Seconds()/plain.CPU.Seconds(), phase+"-x-plain-cpu")
			}
		}
	}
}
