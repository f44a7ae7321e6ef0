package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A population simulation runs in a child: the service, started as
// `jixiao serve` starts it (auth off), on a copy of a seeded database.
// The parent sends the request and times it, so that the child's
// resident set is the server's alone. JIXIAO_BENCH_CHILD=serve:<path>.

// serveReport is what a serving child prints when its standard input
// closes.
type serveReport struct {
	PeakRSS int64 `json:"peak_rss"` // VmHWM
	BaseRSS int64 `json:"base_rss"` // VmRSS once serving, before any request
	MaxRSS  int64 `json:"max_rss"`  // largest VmRSS sampled every 20 ms
}

// serveChild serves the database at path until its standard input closes,
// then prints a serveReport.
func serveChild(path string) int {
	srv, err := StartServer(context.Background(), path, false, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// JIXIAO_BENCH_SERVE_PROFILE=file: a CPU profile of the server.
	if name := os.Getenv("JIXIAO_BENCH_SERVE_PROFILE"); name != "" {
		f, err := os.Create(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	rep := serveReport{BaseRSS: RSS()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			rep.MaxRSS = max(rep.MaxRSS, RSS())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	fmt.Printf("%s\n", srv.URL)
	io.Copy(io.Discard, os.Stdin)
	close(stop)
	wg.Wait()
	rep.PeakRSS = PeakRSS()
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out, _ := json.Marshal(rep)
	fmt.Printf("%s\n", out)
	return 0
}

// child is a serving child process.
type child struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	err   bytes.Buffer
}

func startChild(tb testing.TB, dbPath string) *child {
	tb.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$")}
	c.cmd.Env = append(os.Environ(), childEnv+"=serve:"+dbPath)
	c.cmd.Stderr = &c.err
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c.out = bufio.NewReader(stdout)
	line, err := c.out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		c.cmd.Wait()
		tb.Fatalf("child did not start: %q %v\n%s", line, err, c.err.String())
	}
	c.URL = strings.TrimSpace(line)
	return c
}

// stop ends the child and returns its report.
func (c *child) stop(tb testing.TB) serveReport {
	tb.Helper()
	c.stdin.Close()
	rest, _ := io.ReadAll(c.out)
	if err := c.cmd.Wait(); err != nil {
		tb.Fatalf("child: %v\n%s", err, c.err.String())
	}
	lines := strings.Split(strings.TrimSpace(string(rest)), "\n")
	var rep serveReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		tb.Fatalf("child report %q: %v", rest, err)
	}
	rep.PeakRSS = max(rep.PeakRSS, childMaxRSS(c.cmd.ProcessState))
	return rep
}

// cpu is the CPU time the child has used so far, from /proc (Linux);
// 0 when unknown.
func (c *child) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// simulation is one timed request.
type simulation struct {
	CPU      time.Duration // the server's
	Wall     time.Duration
	Bytes    int64
	Projects int // summary.projects
	Changed  int // projects whose grade changed
}

func simulate(tb testing.TB, url string, body string) simulation {
	tb.Helper()
	start := time.Now()
	resp, err := http.Post(url+"/api/v1/simulations", "application/json", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	wall := time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("status %d: %.500s", resp.StatusCode, data)
	}
	var out struct {
		Report struct {
			Summary struct {
				Projects     int      `json:"projects"`
				Changed      []string `json:"changed"`
				ChangedTotal *int     `json:"changed_total"`
			} `json:"summary"`
		} `json:"report"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		tb.Fatal(err)
	}
	s := out.Report.Summary
	sim := simulation{Wall: wall, Bytes: int64(len(data)), Projects: s.Projects, Changed: len(s.Changed)}
	if s.ChangedTotal != nil {
		sim.Changed = *s.ChangedTotal
	}
	return sim
}

// populationRequests are the simulations measured: another rule set over
// every stored project, and a spending cut under the same rule set.
var populationRequests = []struct{ name, body string }{
	{"ruleset", `{"ruleset": "hubei-self"}`},
	{"spent-cut", `{"overrides": [{"field": "spent", "percent": -15}]}`},
}

// BenchmarkPopulationSimulation times POST /api/v1/simulations over every
// stored project (100,000; with JIXIAO_BENCH_1M=1 also 1,000,000) against
// the service in a child process, and reports the child's peak resident
// set. Each iteration starts a new child on a fresh copy of the seeded
// database; JIXIAO_BENCH_DIR keeps the seeded files between runs.
func BenchmarkPopulationSimulation(b *testing.B) {
	sizes := []int{100_000}
	if os.Getenv("JIXIAO_BENCH_1M") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		for _, req := range populationRequests {
			b.Run(fmt.Sprintf("n=%d/%s", n, req.name), func(b *testing.B) {
				populationRun(b, n, req.body)
			})
		}
	}
}

func populationRun(b *testing.B, n int, body string) {
	tmpl := template(b, n)
	path := filepath.Join(b.TempDir(), "serve.db")
	var (
		sim simulation
		rep serveReport
	)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := CopyFile(tmpl, path); err != nil {
			b.Fatal(err)
		}
		c := startChild(b, path)
		cpu := c.cpu()
		b.StartTimer()
		sim = simulate(b, c.URL, body)
		b.StopTimer()
		sim.CPU = c.cpu() - cpu
		rep = c.stop(b)
		if sim.Projects != n {
			b.Fatalf("simulated %d projects, want %d", sim.Projects, n)
		}
		if err := RemoveDB(path); err != nil {
			b.Fatal(err)
		}
	}
	const mb = 1 << 20
	b.Logf("%d projects: %.2f s (server CPU %.2f s), body %.2f MB, %d changed grade; server peak RSS %.1f MB (%.1f MB before the request)",
		n, sim.Wall.Seconds(), sim.CPU.Seconds(), float64(sim.Bytes)/mb, sim.Changed, float64(rep.PeakRSS)/mb, float64(rep.BaseRSS)/mb)
	b.ReportMetric(sim.Wall.Seconds(), "s/simulation")
	b.ReportMetric(sim.CPU.Seconds(), "server-CPU-s")
	b.ReportMetric(float64(rep.PeakRSS)/mb, "peak-RSS-MB")
	b.ReportMetric(float64(rep.BaseRSS)/mb, "base-RSS-MB")
	b.ReportMetric(float64(sim.Bytes)/mb, "body-MB")
}

// TestPopulationHarness runs the population benchmark's child and request
// on a few hundred projects.
func TestPopulationHarness(t *testing.T) {
	path := filepath.Join(t.TempDir(), "serve.db")
	if err := CopyFile(template(t, 300), path); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, path)
	sim := simulate(t, c.URL, populationRequests[0].body)
	rep := c.stop(t)
	if sim.Projects != 300 || sim.Bytes == 0 || rep.PeakRSS == 0 || rep.BaseRSS == 0 {
		t.Errorf("simulation %+v, server %+v", sim, rep)
	}
}
