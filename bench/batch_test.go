package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"jixiao"
	"jixiao/engine"
	"jixiao/evaluation"
	"jixiao/storage"
	"jixiao/storage/storagetest"
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
	tmpl := template(b, count)
	path := filepath.Join(b.TempDir(), "run.db")
	benchOfficial(b, count, batchTarget{
		fresh: func(tb testing.TB) string {
			if err := CopyFile(tmpl, path); err != nil {
				tb.Fatal(err)
			}
			return path
		},
		done: func(tb testing.TB) {
			if err := RemoveDB(path); err != nil {
				tb.Fatal(err)
			}
		},
		plains: map[string]plainFunc{"plain": PlainInsert},
	})
}

// BenchmarkOfficialBatchPostgres is BenchmarkOfficialBatch on the
// PostgreSQL server JIXIAO_BENCH_POSTGRES (or JIXIAO_TEST_POSTGRES) names,
// with evaluation.Service as serve runs it there (Shared); the same run
// shared by two instances ("two-instances", see twoInstances); and two
// floors measured in the same iteration: "plain", multi-row INSERTs, and
// "copy", COPY (PlainPostgres). The seeded projects are kept in the schema
// bench_v<generator version>_<count> and reused by later runs; each
// measurement starts from that schema with its runs and scores cleared
// (ClearRuns). JIXIAO_BENCH_PHASE=service, two-instances, plain or copy
// measures one alone.
//
// Only the client processes' CPU time is counted, not the server's: the
// x-…-cpu ratios say how much of the client's work is above a plain
// client's, not the whole cost.
func BenchmarkOfficialBatchPostgres(b *testing.B) {
	count := envInt(b, "JIXIAO_BENCH_N", 100_000)
	url := postgresTemplate(b, count)
	benchOfficial(b, count, batchTarget{
		fresh: func(tb testing.TB) string {
			if err := ClearRuns(context.Background(), url); err != nil {
				tb.Fatal(err)
			}
			return url
		},
		done:   func(testing.TB) {},
		shared: true,
		more:   map[string]measured{"two-instances": twoInstances},
		plains: map[string]plainFunc{
			"plain": PlainInsert,
			"copy": func(ctx context.Context, db string, rows []ScoreRow) (Timing, error) {
				return PlainPostgres(ctx, db, rows, true)
			},
		},
	})
}

// postgresTemplate returns the URL of the schema holding count generated
// projects (seed 1) on the benchmark's PostgreSQL server, seeding it if
// it does not hold exactly those yet.
func postgresTemplate(tb testing.TB, count int) string {
	tb.Helper()
	base := os.Getenv("JIXIAO_BENCH_POSTGRES")
	if base == "" {
		base = os.Getenv(storagetest.EnvURL)
	}
	if base == "" {
		tb.Skip("set JIXIAO_BENCH_POSTGRES or " + storagetest.EnvURL + ` to a PostgreSQL URL (eval "$(.ci/postgres start)" starts one)`)
	}
	ctx := context.Background()
	schema := fmt.Sprintf("bench_v%d_%d", genVersion, count)
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	var stored int
	// Kept from an earlier run only if seeded as Seed does now.
	err = conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".projects WHERE status = 'approved'").Scan(&stored)
	if err == nil && stored == count {
		return u.String()
	}
	start := time.Now()
	for _, stmt := range []string{"DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			tb.Fatal(err)
		}
	}
	if err := Seed(ctx, u.String(), count, 1); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded %d projects in schema %s in %v", count, schema, time.Since(start).Round(time.Millisecond))
	return u.String()
}

// twoInstances is an official run of every project of db worked on by
// two instances of the service: this process starts it and executes it,
// and a child process (this test binary, see Join) joins it at once,
// each with its own connections and scoring goroutines, as two serve
// processes behind a load balancer would. The CPU time counts both.
func twoInstances(ctx context.Context, db string, rs *engine.RuleSet, count int) (Timing, error) {
	store, err := storage.Open(ctx, db)
	if err != nil {
		return Timing{}, err
	}
	defer store.Close()
	svc := evaluation.Service{Store: store, Shared: true}
	wall0, cpu0 := time.Now(), CPUTime()
	run, err := svc.Start(ctx, rs, Approved, "bench")
	if err != nil {
		return Timing{}, err
	}
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), fmt.Sprintf("%s=join:%d:%s", childEnv, run.ID, db))
	var out, errOut bytes.Buffer
	child.Stdout, child.Stderr = &out, &errOut
	if err := child.Start(); err != nil {
		return Timing{}, err
	}
	execErr := svc.Execute(ctx, run, rs)
	waitErr := child.Wait()
	t := since(wall0, cpu0)
	t.CPU += child.ProcessState.UserTime() + child.ProcessState.SystemTime()
	if execErr != nil || waitErr != nil {
		return t, fmt.Errorf("this instance: %v; the other: %v %s", execErr, waitErr, errOut.String())
	}
	final, err := store.FindRun(ctx, run.ID)
	if err != nil {
		return t, err
	}
	joined, _ := strconv.Atoi(strings.TrimSpace(out.String()))
	if final.Status != jixiao.RunDone || final.Scored != count || joined == 0 || joined == count {
		return t, fmt.Errorf("run %s with %d scored, %d of them by the other instance; want done, %d, shared", final.Status, final.Scored, joined, count)
	}
	return t, nil
}

// measured is a measured way of running an official batch of the count
// projects of db.
type measured func(ctx context.Context, db string, rs *engine.RuleSet, count int) (Timing, error)

// plainFunc inserts score rows into a database as plainly as it can.
type plainFunc func(ctx context.Context, db string, rows []ScoreRow) (Timing, error)

// batchTarget is where benchOfficial measures.
type batchTarget struct {
	fresh  func(testing.TB) string // a database with the seeded projects only
	done   func(testing.TB)        // after each measurement
	shared bool                    // evaluation.Service.Shared, as serve sets it
	plains map[string]plainFunc    // the floors, by phase name
	more   map[string]measured     // other ways than "service", by phase name
}

func benchOfficial(b *testing.B, count int, target batchTarget) {
	only := os.Getenv("JIXIAO_BENCH_PHASE")
	workers := envInt(b, "JIXIAO_BENCH_WORKERS", 1<<30)
	if workers == 1<<30 {
		workers = 0
	}
	chunk := envInt(b, "JIXIAO_BENCH_CHUNK", evaluation.DefaultChunkSize)
	rs, err := LoadRules()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()

	var rows []ScoreRow
	timings := map[string]*Timing{}
	measure := func(phase string, fn func(ctx context.Context, db string) (Timing, error)) {
		db := target.fresh(b)
		b.StartTimer()
		var t Timing
		var err error
		pprof.Do(ctx, pprof.Labels("phase", phase), func(ctx context.Context) { t, err = fn(ctx, db) })
		b.StopTimer()
		if err != nil {
			b.Fatalf("%s: %v", phase, err)
		}
		if timings[phase] == nil {
			timings[phase] = &Timing{}
		}
		timings[phase].Wall += t.Wall
		timings[phase].CPU += t.CPU
		target.done(b)
	}
	service := func(ctx context.Context, db string) (Timing, error) {
		svc := evaluation.Service{Workers: workers, ChunkSize: chunk, Shared: target.shared}
		run, t, err := Official(ctx, db, rs, svc, nil)
		if err != nil {
			return t, err
		}
		if run.Scored != count || run.Rejected != 0 || run.Status != jixiao.RunDone {
			return t, fmt.Errorf("run %s, scored %d and rejected %d, want done, %d and 0", run.Status, run.Scored, run.Rejected, count)
		}
		if rows == nil {
			if rows, err = ReadScores(ctx, db, run.ID); err != nil {
				return t, err
			}
			if len(rows) != count {
				return t, fmt.Errorf("read %d score rows, want %d", len(rows), count)
			}
		}
		return t, nil
	}
	phases := map[string]func(ctx context.Context, db string) (Timing, error){"service": service}
	order := []string{"service"}
	var floors []string
	for name, plain := range target.plains {
		phases[name] = func(ctx context.Context, db string) (Timing, error) { return plain(ctx, db, rows) }
		floors = append(floors, name)
	}
	sort.Strings(floors)
	var others []string
	for name, fn := range target.more {
		phases[name] = func(ctx context.Context, db string) (Timing, error) { return fn(ctx, db, rs, count) }
		others = append(others, name)
	}
	sort.Strings(others)
	order = append(order, others...)
	order = append(order, floors...)
	if only != "" {
		if phases[only] == nil {
			b.Fatalf("JIXIAO_BENCH_PHASE=%q: want one of %v", only, order)
		}
		order = []string{only}
	}

	b.StopTimer()
	b.ResetTimer()
	if only != "" && only != "service" {
		measure("service", service) // for the rows
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
	for phase, t := range timings {
		b.ReportMetric(n/t.Wall.Seconds(), phase+"-projects/s")
		if target.plains[phase] != nil {
			continue
		}
		for _, floor := range floors {
			plain := timings[floor]
			if plain == nil {
				continue
			}
			b.ReportMetric(t.Wall.Seconds()/plain.Wall.Seconds(), phase+"-x-"+floor)
			if plain.CPU > 0 {
				b.ReportMetric(t.CPU.Seconds()/plain.CPU.Seconds(), phase+"-x-"+floor+"-cpu")
			}
		}
	}
}
