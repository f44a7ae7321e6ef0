package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"jixiao/evaluation"
)

// childEnv makes the test binary run one official batch and exit, instead
// of its tests: JIXIAO_BENCH_CHILD=official:<database path>.
const childEnv = "JIXIAO_BENCH_CHILD"

// childReport is what a child prints on its last line of standard output.
type childReport struct {
	Scored    int     `json:"scored"`
	Wall      float64 `json:"wall_s"`
	PeakRSS   int64   `json:"peak_rss"`   // VmHWM at the end
	MaxRSS    int64   `json:"max_rss"`    // largest VmRSS sampled during the run
	MaxHeap   uint64  `json:"max_heap"`   // largest live+unswept heap sampled
	BaseRSS   int64   `json:"base_rss"`   // VmRSS before the run, after loading the rules
	GoMemHigh uint64  `json:"go_mem_sys"` // memory the Go runtime obtained from the OS
	// RSSByTenth is the largest VmRSS sampled in each tenth of the run:
	// flat when memory does not grow with the batch.
	RSSByTenth [10]int64 `json:"rss_by_tenth"`
}

// runChild runs the batch a parent asked for and prints a childReport.
func runChild(spec string) int {
	if path, ok := strings.CutPrefix(spec, "serve:"); ok {
		return serveChild(path)
	}
	if rest, ok := strings.CutPrefix(spec, "join:"); ok {
		return joinChild(rest)
	}
	path, ok := strings.CutPrefix(spec, "official:")
	if !ok {
		fmt.Fprintf(os.Stderr, "%s=%q: want official:<path>, serve:<path> or join:<run id>:<database>\n", childEnv, spec)
		return 2
	}
	rs, err := LoadRules()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	runtime.GC()
	rep := childReport{BaseRSS: RSS()}

	// Sample the resident set and the heap while the run goes.
	type sample struct {
		at  time.Duration
		rss int64
	}
	var samples []sample
	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			rss := RSS()
			samples = append(samples, sample{time.Since(start), rss})
			rep.MaxRSS = max(rep.MaxRSS, rss)
			metrics.Read(heap)
			rep.MaxHeap = max(rep.MaxHeap, heap[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	run, _, err := Official(context.Background(), path, rs, evaluation.Service{}, nil)
	close(stop)
	wg.Wait()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rep.Scored = run.Scored
	elapsed := time.Since(start)
	rep.Wall = elapsed.Seconds()
	for _, s := range samples {
		k := min(int(10*s.at/elapsed), 9)
		rep.RSSByTenth[k] = max(rep.RSSByTenth[k], s.rss)
	}
	rep.PeakRSS = PeakRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.GoMemHigh = ms.Sys
	out, _ := json.Marshal(rep)
	fmt.Printf("%s\n", out)
	return 0
}

// joinChild works on a run another process started (spec "<run id>:<database>",
// see Join) and prints how many projects it scored.
func joinChild(spec string) int {
	id, db, ok := strings.Cut(spec, ":")
	runID, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil {
		fmt.Fprintf(os.Stderr, "join:%s: want join:<run id>:<database>\n", spec)
		return 2
	}
	rs, err := LoadRules()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	n, err := Join(context.Background(), db, runID, rs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(n)
	return 0
}

// batchInChild runs an official batch of the database at path in a new
// process (this test binary) and returns its report.
func batchInChild(tb testing.TB, path string) childReport {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=official:"+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("child: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var rep childReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		tb.Fatalf("child report %q: %v", lines[len(lines)-1], err)
	}
	if maxRSS := childMaxRSS(cmd.ProcessState); maxRSS > rep.PeakRSS {
		rep.PeakRSS = maxRSS // getrusage of the child, when it is larger
	}
	return rep
}

// BenchmarkOfficialBatchMemory runs an official batch of every stored
// project in a child process and reports the child's peak resident set
// (VmHWM, or getrusage's ru_maxrss if larger), for 10,000 and 100,000
// projects, and with JIXIAO_BENCH_1M=1 also 1,000,000 (seeding that takes
// a few minutes and about 3 GB of disk in JIXIAO_BENCH_DIR).
func BenchmarkOfficialBatchMemory(b *testing.B) {
	memoryBench(b, func(b *testing.B, n int) (string, func()) {
		tmpl := template(b, n)
		path := filepath.Join(b.TempDir(), "run.db")
		if err := CopyFile(tmpl, path); err != nil {
			b.Fatal(err)
		}
		return path, func() {
			if err := RemoveDB(path); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOfficialBatchMemoryPostgres is BenchmarkOfficialBatchMemory on
// the PostgreSQL server of BenchmarkOfficialBatchPostgres, with its
// seeded schemas (1,000,000 projects take about 2 minutes to seed there).
func BenchmarkOfficialBatchMemoryPostgres(b *testing.B) {
	memoryBench(b, func(b *testing.B, n int) (string, func()) {
		db := postgresTemplate(b, n)
		if err := ClearRuns(context.Background(), db); err != nil {
			b.Fatal(err)
		}
		return db, func() {}
	})
}

// memoryBench measures batches in a child process, on a database fresh
// gives for each size (with what to do after the measurement).
func memoryBench(b *testing.B, fresh func(b *testing.B, n int) (string, func())) {
	sizes := []int{10_000, 100_000}
	if os.Getenv("JIXIAO_BENCH_1M") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var rep childReport
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db, done := fresh(b, n)
				b.StartTimer()
				rep = batchInChild(b, db)
				b.StopTimer()
				if rep.Scored != n {
					b.Fatalf("child scored %d, want %d", rep.Scored, n)
				}
				done()
			}
			const mb = 1 << 20
			var tenths []string
			for _, r := range rep.RSSByTenth {
				tenths = append(tenths, fmt.Sprintf("%.0f", float64(r)/mb))
			}
			b.Logf("%d projects: peak RSS %.1f MB; largest RSS in each tenth of the run (MB): %s",
				n, float64(rep.PeakRSS)/mb, strings.Join(tenths, " "))
			b.ReportMetric(float64(rep.PeakRSS)/mb, "peak-RSS-MB")
			b.ReportMetric(float64(rep.RSSByTenth[1])/mb, "RSS-2nd-tenth-MB")
			b.ReportMetric(float64(rep.RSSByTenth[9])/mb, "RSS-last-tenth-MB")
			b.ReportMetric(float64(rep.BaseRSS)/mb, "base-RSS-MB")
			b.ReportMetric(float64(rep.MaxHeap)/mb, "max-heap-MB")
			b.ReportMetric(float64(n)/rep.Wall, "projects/s")
		})
	}
}
