package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"jixiao"
	"jixiao/demo"
	"jixiao/engine"
	"jixiao/evaluation"
	"jixiao/rules"
	"jixiao/storage"
	"jixiao/storage/storagetest"
)

// crashProjects is how many projects the crash test evaluates.
const crashProjects = 100_000

// TestServeCrashAndResume kills the service in the middle of a large
// evaluation, restarts it on the same database and resumes the run: the
// chunks committed before the crash are whole, and the resumed run ends
// with one score per project.
func TestServeCrashAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the crash test, which builds the command and evaluates 100,000 projects")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the crash test stops the service with SIGTERM, which cannot be sent on Windows")
	}
	bin := buildJixiao(t)
	db := filepath.Join(t.TempDir(), "crash.db")
	args := []string{"--db", db, "--auth", "off", "--rules-dir="}

	p := startBinary(t, bin, args...)
	start := time.Now()
	p.uploadProjects(t, crashProjects, 10_000)
	t.Logf("uploaded %d projects in %v", crashProjects, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	run := p.startEvaluation(t, map[string]any{"year": 2024, "statuses": everyStatus})
	if run.Total != crashProjects || run.Status != jixiao.RunRunning {
		t.Fatalf("started %v, want a running run of %d projects", run, crashProjects)
	}
	// Past the first chunk, well before the end.
	var seen runView
	eventually(t, 5*time.Minute, "the evaluation passing its first chunk", func() (bool, string) {
		seen = p.getRun(t, run.ID)
		if seen.Status != jixiao.RunRunning {
			t.Fatalf("before the crash: %v, want running", seen)
		}
		return seen.Scored > evaluation.DefaultChunkSize, seen.String()
	})
	if seen.Scored > crashProjects/2 {
		t.Fatalf("the evaluation ran too far before it could be stopped: %v", seen)
	}
	p.signal(t, syscall.SIGKILL)
	p.wait(t, time.Minute)
	t.Logf("killed at %v after %v", seen, time.Since(start).Round(time.Millisecond))

	// Restarted on the same database: the run is interrupted and holds
	// whole chunks.
	p = startBinary(t, bin, args...)
	got := p.getRun(t, run.ID)
	t.Logf("after the restart: %v", got)
	if got.Status != jixiao.RunInterrupted {
		t.Fatalf("after the restart: %v, want interrupted", got)
	}
	if done := got.Scored + got.Rejected; done == 0 || done%evaluation.DefaultChunkSize != 0 || done >= crashProjects {
		t.Errorf("after the restart: %v; want a positive multiple of %d below %d", got, evaluation.DefaultChunkSize, crashProjects)
	}
	if n := p.resultsTotal(t, run.ID); n != got.Scored {
		t.Errorf("the run links %d scores, but says %d were scored", n, got.Scored)
	}

	var resumed struct {
		Run runView `json:"run"`
	}
	p.must(t, "POST", "/api/v1/evaluations/"+itoa(run.ID)+"/resume", nil, http.StatusAccepted, &resumed)
	if resumed.Run.Status != jixiao.RunRunning {
		t.Errorf("resume answered %v, want running", resumed.Run)
	}
	start = time.Now()
	eventually(t, 10*time.Minute, "the resumed evaluation finishing", func() (bool, string) {
		got = p.getRun(t, run.ID)
		switch got.Status {
		case jixiao.RunRunning:
			return false, got.String()
		case jixiao.RunDone:
			return true, got.String()
		}
		t.Fatalf("resumed run: %v", got)
		return false, ""
	})
	t.Logf("resumed run done in %v: %v", time.Since(start).Round(time.Millisecond), got)
	if got.Scored != crashProjects || got.Rejected != 0 {
		t.Errorf("resumed run: %v, want %d scored and none rejected", got, crashProjects)
	}
	if n := p.resultsTotal(t, run.ID); n != crashProjects {
		t.Errorf("the run links %d scores, want %d", n, crashProjects)
	}
	if n := p.listTotal(t, "/api/v1/scores?per_page=1&ruleset=cn-mof-2020-self"); n != crashProjects {
		t.Errorf("%d scores stored for cn-mof-2020-self, want one for each of the %d projects", n, crashProjects)
	}

	// The same from the database itself, with the service stopped.
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, time.Minute); code != 0 {
		t.Fatalf("serve exited with %d after SIGTERM; stderr:\n%s", code, tail(p.stderr.String(), 4000))
	}
	checkOneScoreEach(t, db, run.ID, got.RuleSetHash, crashProjects)
}

// checkOneScoreEach opens the database and checks that run id links
// exactly n scores, all with the rule-set hash, one for each of n
// different projects, and that the run's rule set has no other score.
func checkOneScoreEach(t *testing.T, db string, id int64, hash string, n int) {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	run, err := store.FindRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != jixiao.RunDone || run.Scored != n {
		t.Errorf("stored run: %s, %d scored; want done, %d", run.Status, run.Scored, n)
	}
	projects := map[int64]bool{}
	total := 0
	for offset := 0; ; offset += 5000 {
		scores, all, err := store.FindScores(ctx, jixiao.ScoreFilter{RunID: id, Offset: offset, Limit: 5000})
		if err != nil {
			t.Fatal(err)
		}
		total = all
		for _, s := range scores {
			if s.RuleSetHash != hash {
				t.Fatalf("score %d has rule-set hash %s, want %s", s.ID, s.RuleSetHash, hash)
			}
			if projects[s.ProjectKey] {
				t.Fatalf("project %s has two scores in run %d", s.ProjectID, id)
			}
			projects[s.ProjectKey] = true
		}
		if len(scores) < 5000 {
			break
		}
	}
	if total != n || len(projects) != n {
		t.Errorf("run %d links %d scores of %d projects, want %d", id, total, len(projects), n)
	}
	_, all, err := store.FindScores(ctx, jixiao.ScoreFilter{RuleSetID: run.RuleSetID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if all != n {
		t.Errorf("%d scores stored for %s, want %d: one a project", all, run.RuleSetID, n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestServeSIGTERMInterruptsRun stops the service with SIGTERM while a
// background evaluation runs and a request is in flight: the request is
// answered, the process exits 0 and the run is left interrupted at a
// chunk boundary, not running, before any restart could mark it so.
func TestServeSIGTERMInterruptsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the shutdown test, which builds the command")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM cannot be sent on Windows")
	}
	const n = 30_000
	bin := buildJixiao(t)
	db := filepath.Join(t.TempDir(), "sigterm.db")
	args := []string{"--db", db, "--auth", "off", "--rules-dir="}
	p := startBinary(t, bin, args...)
	p.uploadProjects(t, n, 10_000)
	run := p.startEvaluation(t, map[string]any{"year": 2024, "statuses": everyStatus})
	var seen runView
	eventually(t, 5*time.Minute, "the evaluation passing its first chunk", func() (bool, string) {
		seen = p.getRun(t, run.ID)
		if seen.Status != jixiao.RunRunning {
			t.Fatalf("before SIGTERM: %v, want running", seen)
		}
		return seen.Scored >= evaluation.DefaultChunkSize, seen.String()
	})

	// A request in flight at SIGTERM: the handler has begun to read the
	// body (the server answered 100 Continue) and waits for it; the body
	// is sent once the shutdown has begun.
	late := []byte(`[{"id":"LATE-1","name":"迟到的项目","year":2025,"budget_adjusted":100,"spent":100,"indicators":[]}]`)
	conn, replies := requestInFlight(t, p.client, "/api/v1/projects", len(late))

	p.signal(t, syscall.SIGTERM)
	eventually(t, time.Minute, "the shutdown beginning", func() (bool, string) {
		return strings.Contains(p.stderr.String(), "shutting down"), tail(p.stderr.String(), 500)
	})
	if _, err := conn.Write(late); err != nil {
		t.Fatalf("sending the body of the request in flight: %v; stderr:\n%s", err, tail(p.stderr.String(), 3000))
	}
	resp, err := http.ReadResponse(replies, nil)
	if err != nil {
		t.Fatalf("the request in flight at SIGTERM got no answer: %v; stderr:\n%s", err, tail(p.stderr.String(), 3000))
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"created":1`) {
		t.Errorf("the request in flight at SIGTERM: %d %s", resp.StatusCode, body)
	}
	if code := p.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("serve exited with %d after SIGTERM, want 0; stderr:\n%s", code, tail(p.stderr.String(), 4000))
	}

	ctx := context.Background()
	store, err := storage.OpenSQLite(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := store.FindRun(ctx, run.ID)
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGTERM at %d scored; stored: %s, %d scored", seen.Scored, stored.Status, stored.Scored)
	if stored.Status != jixiao.RunInterrupted || stored.FinishedAt == nil {
		t.Fatalf("after SIGTERM the run is %s (finished at %v), want interrupted", stored.Status, stored.FinishedAt)
	}
	if done := stored.Scored + stored.Rejected; done < seen.Scored || done%evaluation.DefaultChunkSize != 0 || done >= n {
		t.Errorf("after SIGTERM: %d scored, %d rejected; want a multiple of %d from %d and below %d",
			stored.Scored, stored.Rejected, evaluation.DefaultChunkSize, seen.Scored, n)
	}

	// It resumes to the end after a restart, and the request answered
	// during the shutdown was stored.
	p = startBinary(t, bin, args...)
	p.must(t, "GET", "/api/v1/projects/2025/LATE-1", nil, http.StatusOK, nil)
	p.must(t, "POST", "/api/v1/evaluations/"+itoa(run.ID)+"/resume", nil, http.StatusAccepted, nil)
	var got runView
	eventually(t, 5*time.Minute, "the resumed evaluation finishing", func() (bool, string) {
		got = p.getRun(t, run.ID)
		return got.Status != jixiao.RunRunning, got.String()
	})
	if got.Status != jixiao.RunDone || got.Scored != n {
		t.Fatalf("resumed run: %v, want done with %d scored", got, n)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, time.Minute); code != 0 {
		t.Fatalf("serve exited with %d after SIGTERM; stderr:\n%s", code, tail(p.stderr.String(), 4000))
	}
	checkOneScoreEach(t, db, run.ID, got.RuleSetHash, n)
}

// reloadRules is the built-in cn-mof-2020-self as version "2024.2", the
// file the reload test starts with.
func reloadRules(t *testing.T) string {
	t.Helper()
	src, ok := rules.BuiltinByID("cn-mof-2020-self")
	if !ok {
		t.Fatal("no built-in cn-mof-2020-self")
	}
	v := regexp.MustCompile(`(?m)^version: "[^"]*"$`)
	if len(v.FindAllIndex(src.Data, -1)) != 1 {
		t.Fatal("the built-in cn-mof-2020-self has no single version line")
	}
	return v.ReplaceAllString(string(src.Data), `version: "2024.2"`)
}

// replaceOnce replaces old, which must occur exactly once in s.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("%q occurs %d times in the rule file, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// reweighted is the rule file as version "2024.3" with budget execution
// worth 20 points and outputs 40 instead of 10 and 50, and its tests
// adjusted to the new weights.
func reweighted(t *testing.T, body string) string {
	t.Helper()
	for _, r := range [][2]string{
		{`version: "2024.2"`, `version: "2024.3"`},
		{"    name: 预算执行率\n    points: 10\n", "    name: 预算执行率\n    points: 20\n"},
		{"    name: 产出指标\n    points: 50\n", "    name: 产出指标\n    points: 40\n"},
		{"scores: {execution: 10, output: 50, benefit: 30, satisfaction: 10}", "scores: {execution: 20, output: 40, benefit: 30, satisfaction: 10}"},
		{"total: 80.13        # 9.13 + 40 + 21 + 10", "total: 81.26        # 18.26 + 32 + 21 + 10"},
		{"scores: {execution: 9.13, output: 40, benefit: 21, satisfaction: 10}", "scores: {execution: 18.26, output: 32, benefit: 21, satisfaction: 10}"},
		{"expect: {total: 91.67, grade: 优, scores: {output.1: 16.67, output.2: 16.67, output.3: 8.33, output: 41.67}}",
			"expect: {total: 93.34, grade: 优, scores: {output.1: 13.34, output.2: 13.33, output.3: 6.67, output: 33.34}}"},
		{"expect: {total: 64.29, grade: 中, scores: {output: 25, benefit: 0}}   # (10 + 25 + 10) × 100 / 70",
			"expect: {total: 71.43, grade: 中, scores: {output: 20, benefit: 0}}   # (20 + 20 + 10) × 100 / 70"},
		{"expect: {total: 83.33, grade: 良, scores: {output: 40}}   # (10 + 40) × 100 / 60",
			"expect: {total: 86.67, grade: 良, scores: {output: 32}}   # (20 + 32) × 100 / 60"},
		{"expect: {total: 87.5, grade: 良, scores: {output.1: 25, output.2: 12.5}}   # 25 × (1 − (3 − 2)/2)",
			"expect: {total: 90, grade: 优, scores: {output.1: 20, output.2: 10}}   # 20 × (1 − (3 − 2)/2)"},
		{"expect: {total: 88.48, grade: 良, scores: {output.1: 11, output.2: 10, output.3: 9.99, output.4: 7.49, output: 38.48}}",
			"expect: {total: 92.98, grade: 优, scores: {output.1: 10, output.2: 9, output.3: 7.99, output.4: 5.99, output: 32.98}}"},
		{"expect: {total: 65, grade: 中, scores: {output: 45, benefit: 0}}", "expect: {total: 65, grade: 中, scores: {output: 35, benefit: 0}}"},
		{"expect: {total: 93.75, grade: 优, scores: {output.1: 25, output.2: 18.75, output: 43.75}}   # 25 × (1 − 25/100)",
			"expect: {total: 95, grade: 优, scores: {output.1: 20, output.2: 15, output: 35}}   # 20 × (1 − 25/100)"},
		{"category_points: {产出指标: 55, 效益指标: 25, 满意度指标: 10}", "category_points: {产出指标: 45, 效益指标: 25, 满意度指标: 10}"},
		{"expect: {total: 89, grade: 良, scores: {execution: 10, output: 44, benefit: 25, satisfaction: 10}}   # 55 × 8/10 = 44",
			"expect: {total: 91, grade: 优, scores: {execution: 20, output: 36, benefit: 25, satisfaction: 10}}   # 45 × 8/10 = 36"},
	} {
		body = replaceOnce(t, body, r[0], r[1])
	}
	rs, err := engine.Load("reweighted.yaml", []byte(body))
	if err != nil {
		t.Fatalf("the reweighted rule file does not load: %v", err)
	}
	if err := rs.TestError(rs.RunTests()); err != nil {
		t.Fatalf("the reweighted rule file fails its tests: %v", err)
	}
	return body
}

// writeRuleFile replaces the rule file the way an editor saving in place
// does, and returns when the write is done.
func writeRuleFile(t *testing.T, path, body string) time.Time {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}

// ruleSetInfo is GET /api/v1/rulesets/{id}.
type ruleSetInfo struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Hash    string `json:"hash"`
}

// reloadErrors reads jixiao_rule_reloads_total{result="error"} of a rule
// set from /metrics.
func reloadErrors(t testing.TB, c *client, ruleset string) float64 {
	t.Helper()
	status, data, err := c.do("GET", "/metrics", nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", status, err)
	}
	sum := 0.0
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "jixiao_rule_reloads_total{") ||
			!strings.Contains(line, `result="error"`) || !strings.Contains(line, `ruleset="`+ruleset+`"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

// loadStats is what the request generators of the reload test saw.
type loadStats struct {
	mu       sync.Mutex
	ok       map[string]int // by kind of request
	failures []string
	lastHash string // rule-set hash of the latest simulation answered
}

func (s *loadStats) record(kind string, status int, body []byte, err error, hash string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || status < 200 || status > 299 {
		if len(s.failures) < 20 {
			s.failures = append(s.failures, fmt.Sprintf("%s: %d %v %s", kind, status, err, tail(string(body), 500)))
		} else {
			s.failures[19] = "… and more"
		}
		return
	}
	s.ok[kind]++
	if hash != "" {
		s.lastHash = hash
	}
}

func (s *loadStats) snapshot() (ok map[string]int, failures []string, hash string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.ok), slices.Clone(s.failures), s.lastHash
}

// TestServeReloadUnderLoad edits the rule file of the default rule set
// while requests keep scoring: no request fails, the new version is
// active within 2 seconds of the write, and a broken edit leaves the
// previous version active with its error reported in the status and the
// metrics.
func TestServeReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	if err := os.Mkdir(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(rulesDir, "cn-mof-2020-self.yaml")
	v2 := reloadRules(t)
	v3 := reweighted(t, v2)
	writeRuleFile(t, path, v2)

	s := startInProcess(t, "--db", filepath.Join(dir, "jixiao.db"), "--rules-dir", rulesDir, "--auth", "off", "--demo")
	var before ruleSetInfo
	s.must(t, "GET", "/api/v1/rulesets/cn-mof-2020-self", nil, http.StatusOK, &before)
	if before.Version != "2024.2" {
		t.Fatalf("active version %q, want 2024.2 from %s", before.Version, path)
	}

	projects := demo.Huaihua()
	ids := make([]string, len(projects))
	for i, p := range projects {
		ids[i] = p.ID
	}
	inline := map[string]any{"projects": projects[:5]}
	evaluate := map[string]any{"project_ids": ids, "year": projects[0].Year, "statuses": everyStatus}

	// Requests of both kinds, from the start to the end of the test.
	stats := &loadStats{ok: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if w == 0 {
					status, body, err := s.do("POST", "/api/v1/evaluations", evaluate)
					stats.record("evaluation", status, body, err, "")
					continue
				}
				status, body, err := s.do("POST", "/api/v1/simulations", inline)
				var resp struct {
					Report struct {
						Baseline ruleSetInfo `json:"baseline"`
					} `json:"report"`
				}
				if err == nil && status == http.StatusOK {
					if jerr := json.Unmarshal(body, &resp); jerr != nil {
						err = jerr
					}
				}
				stats.record("simulation", status, body, err, resp.Report.Baseline.Hash)
			}
		}()
	}
	stopLoad := func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}
	t.Cleanup(stopLoad)
	// waitForRequests waits until every kind of request succeeded n more
	// times.
	waitForRequests := func(n int) {
		t.Helper()
		from, _, _ := stats.snapshot()
		eventually(t, 2*time.Minute, "requests going on", func() (bool, string) {
			now, failures, _ := stats.snapshot()
			if len(failures) > 0 {
				t.Fatalf("requests failed:\n%s", strings.Join(failures, "\n"))
			}
			return now["simulation"] >= from["simulation"]+n && now["evaluation"] >= from["evaluation"]+n, fmt.Sprint(now)
		})
	}
	waitForRequests(3)

	// A good edit: the new version answers within 2 seconds.
	errorsBefore := reloadErrors(t, s.client, "cn-mof-2020-self")
	written := writeRuleFile(t, path, v3)
	var after ruleSetInfo
	eventually(t, time.Minute, "the edited file active", func() (bool, string) {
		s.must(t, "GET", "/api/v1/rulesets/cn-mof-2020-self", nil, http.StatusOK, &after)
		return after.Hash == sha256Hex(v3), fmt.Sprintf("%+v", after)
	})
	latency := time.Since(written)
	t.Logf("reload latency: %v from the write to GET /api/v1/rulesets/cn-mof-2020-self answering the new hash", latency.Round(time.Millisecond))
	if latency > 2*time.Second {
		t.Errorf("the edited file became active %v after the write, want within 2s", latency)
	}
	if after.Version != "2024.3" || after.Hash == before.Hash {
		t.Errorf("active %+v after the edit, want version 2024.3 (was %+v)", after, before)
	}
	eventually(t, time.Minute, "simulations scoring with the new version", func() (bool, string) {
		_, _, hash := stats.snapshot()
		return hash == after.Hash, "last hash " + hash
	})
	waitForRequests(3)
	// The new weights change the scores.
	var old, cur struct {
		Report struct {
			Projects []struct {
				Baseline struct {
					Total jixiao.Decimal `json:"total"`
				} `json:"baseline"`
			} `json:"projects"`
		} `json:"report"`
	}
	s.must(t, "POST", "/api/v1/simulations", map[string]any{"projects": projects[:1], "baseline_ruleset": before.Hash}, http.StatusOK, &old)
	s.must(t, "POST", "/api/v1/simulations", map[string]any{"projects": projects[:1]}, http.StatusOK, &cur)
	if old.Report.Projects[0].Baseline.Total == cur.Report.Projects[0].Baseline.Total {
		t.Errorf("project %s scores %v under both versions", projects[0].ID, cur.Report.Projects[0].Baseline.Total)
	}
	if got := reloadErrors(t, s.client, "cn-mof-2020-self"); got != errorsBefore {
		t.Errorf("a good edit counted %v reload errors", got-errorsBefore)
	}

	// A broken edit: a misspelt name in the formula of indicator
	// execution. The previous version stays, and the error is shown.
	broken := replaceOnce(t, strings.Replace(v3, `version: "2024.3"`, `version: "2024.4"`, 1),
		"- score: W * min(R, 100) / 100", "- score: W * min(R_exct, 100) / 100")
	line := 1 + strings.Count(broken[:strings.Index(broken, "R_exct")], "\n")
	writeRuleFile(t, path, broken)
	type diagnostic struct {
		File      string `json:"file"`
		Line      int    `json:"line"`
		Indicator string `json:"indicator"`
		Message   string `json:"message"`
	}
	var list struct {
		Items []struct {
			ruleSetInfo
			Status struct {
				Active ruleSetInfo `json:"active"`
				Errors []struct {
					Path        string       `json:"path"`
					Diagnostics []diagnostic `json:"diagnostics"`
				} `json:"errors"`
			} `json:"status"`
		} `json:"items"`
	}
	eventually(t, time.Minute, "the broken edit reported", func() (bool, string) {
		s.must(t, "GET", "/api/v1/rulesets", nil, http.StatusOK, &list)
		for _, it := range list.Items {
			if it.ID != "cn-mof-2020-self" {
				continue
			}
			for _, e := range it.Status.Errors {
				for _, d := range e.Diagnostics {
					if d.File == path && d.Line == line && d.Indicator == "execution" && strings.Contains(d.Message, "R_exct") {
						return true, ""
					}
				}
			}
			return false, fmt.Sprintf("%+v", it.Status)
		}
		return false, "no cn-mof-2020-self"
	})
	for _, it := range list.Items {
		if it.ID == "cn-mof-2020-self" && (it.Hash != after.Hash || it.Status.Active.Hash != after.Hash) {
			t.Errorf("after the broken edit the list shows %+v, status %+v; want %s still active", it.ruleSetInfo, it.Status.Active, after.Hash)
		}
	}
	eventually(t, time.Minute, "the broken edit counted in /metrics", func() (bool, string) {
		got := reloadErrors(t, s.client, "cn-mof-2020-self")
		return got >= errorsBefore+1, fmt.Sprintf("%v reload errors, %v before", got, errorsBefore)
	})
	var active ruleSetInfo
	s.must(t, "GET", "/api/v1/rulesets/cn-mof-2020-self", nil, http.StatusOK, &active)
	if active.Hash != after.Hash || active.Version != "2024.3" {
		t.Errorf("after the broken edit %+v is active, want 2024.3 %s", active, after.Hash)
	}
	waitForRequests(3)
	if _, _, hash := stats.snapshot(); hash != after.Hash {
		t.Errorf("simulations score with %s after the broken edit, want %s", hash, after.Hash)
	}

	stopLoad()
	ok, failures, _ := stats.snapshot()
	t.Logf("requests answered: %v", ok)
	if len(failures) > 0 {
		t.Errorf("requests failed:\n%s", strings.Join(failures, "\n"))
	}
	if code := s.stop(t); code != exitOK {
		t.Errorf("serve exited with %d; stderr:\n%s", code, tail(s.stderr.String(), 4000))
	}

	// A restart with the file still broken keeps the last good version,
	// not the built-in, and still reports the error.
	s = startInProcess(t, "--db", filepath.Join(dir, "jixiao.db"), "--rules-dir", rulesDir, "--auth", "off", "--demo")
	s.must(t, "GET", "/api/v1/rulesets/cn-mof-2020-self", nil, http.StatusOK, &active)
	if active.Hash != after.Hash {
		t.Errorf("after a restart with the broken file %+v is active, want 2024.3 %s", active, after.Hash)
	}
	s.must(t, "GET", "/api/v1/rulesets", nil, http.StatusOK, &list)
	reported := false
	for _, it := range list.Items {
		for _, e := range it.Status.Errors {
			for _, d := range e.Diagnostics {
				reported = reported || it.ID == "cn-mof-2020-self" && d.Line == line && d.Indicator == "execution"
			}
		}
	}
	if !reported {
		t.Errorf("after a restart the broken file is not reported: %+v", list.Items)
	}
	if got := reloadErrors(t, s.client, "cn-mof-2020-self"); got != 1 {
		t.Errorf("after a restart %v reload errors, want 1", got)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// demoCounts are the totals of what the demo stores.
type demoCounts struct{ projects, runs, scores, versions int }

func countDemo(t *testing.T, c *client) demoCounts {
	t.Helper()
	var versions struct {
		Items []json.RawMessage `json:"items"`
	}
	c.must(t, "GET", "/api/v1/rulesets/cn-mof-2020-self/versions", nil, http.StatusOK, &versions)
	return demoCounts{
		projects: c.listTotal(t, "/api/v1/projects?per_page=1"),
		runs:     c.listTotal(t, "/api/v1/evaluations?per_page=1"),
		scores:   c.listTotal(t, "/api/v1/scores?per_page=1"),
		versions: len(versions.Items),
	}
}

// TestServeDemoIdempotent starts serve --demo twice on one database: the
// second start adds no projects, runs or scores.
func TestServeDemoIdempotent(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--db", filepath.Join(dir, "demo.db"), "--rules-dir", filepath.Join(dir, "rules"), "--auth", "off", "--demo"}
	n := len(demo.Huaihua())

	s := startInProcess(t, args...)
	first := countDemo(t, s.client)
	if want := (demoCounts{projects: n, runs: 1, scores: n, versions: 1}); first != want {
		t.Errorf("first start: %+v, want %+v", first, want)
	}
	if code := s.stop(t); code != exitOK {
		t.Fatalf("serve exited with %d; stderr:\n%s", code, tail(s.stderr.String(), 4000))
	}

	s = startInProcess(t, args...)
	if again := countDemo(t, s.client); again != first {
		t.Errorf("second start: %+v, want %+v as after the first", again, first)
	}
	if !strings.Contains(s.stderr.String(), "demo data already loaded") {
		t.Errorf("the second start did not say the demo was loaded; stderr:\n%s", tail(s.stderr.String(), 4000))
	}

	// Evaluating the demo projects with another rule set makes them the
	// latest official scores; that is no reason to score them again with
	// the default rules at the next start.
	ids := make([]string, n)
	for i, p := range demo.Huaihua() {
		ids[i] = p.ID
	}
	s.must(t, "POST", "/api/v1/evaluations", map[string]any{"ruleset": "huaihua-2024", "project_ids": ids, "year": 2024, "statuses": everyStatus}, http.StatusCreated, nil)
	before := countDemo(t, s.client)
	if code := s.stop(t); code != exitOK {
		t.Fatalf("serve exited with %d; stderr:\n%s", code, tail(s.stderr.String(), 4000))
	}
	s = startInProcess(t, args...)
	if again := countDemo(t, s.client); again != before {
		t.Errorf("start after an evaluation with another rule set: %+v, want %+v", again, before)
	}
}

// TestServeShutdownTimeoutStopsRuns stops the service while a request
// hangs (a client that never sends its body) and an evaluation runs: when
// waiting for the request times out, the evaluation is still stopped at a
// chunk boundary and marked interrupted before the database is closed.
func TestServeShutdownTimeoutStopsRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the shutdown test, which evaluates 30,000 projects")
	}
	defer func(d time.Duration) { requestsTimeout = d }(requestsTimeout)
	requestsTimeout = 500 * time.Millisecond
	const n = 30_000
	db := filepath.Join(t.TempDir(), "timeout.db")
	s := startInProcess(t, "--db", db, "--auth", "off", "--rules-dir=")
	s.uploadProjects(t, n, 10_000)
	run := s.startEvaluation(t, map[string]any{"year": 2024, "statuses": everyStatus})
	eventually(t, 5*time.Minute, "the evaluation passing its first chunk", func() (bool, string) {
		r := s.getRun(t, run.ID)
		if r.Status != jixiao.RunRunning {
			t.Fatalf("before the shutdown: %v, want running", r)
		}
		return r.Scored >= evaluation.DefaultChunkSize, r.String()
	})

	requestInFlight(t, s.client, "/api/v1/projects", 1000)
	start := time.Now()
	code := s.stop(t)
	t.Logf("serve stopped in %v with status %d", time.Since(start).Round(time.Millisecond), code)
	if code == exitOK {
		t.Errorf("serve exited 0 although a request was cut off at the shutdown timeout")
	}

	ctx := context.Background()
	store, err := storage.OpenSQLite(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	stored, err := store.FindRun(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != jixiao.RunInterrupted {
		t.Errorf("after a shutdown that timed out the run is %s, want interrupted", stored.Status)
	}
	if done := stored.Scored + stored.Rejected; done%evaluation.DefaultChunkSize != 0 || done >= n {
		t.Errorf("after the shutdown: %d scored, %d rejected; want a multiple of %d below %d",
			stored.Scored, stored.Rejected, evaluation.DefaultChunkSize, n)
	}
}

// buildForServeTest builds the command for a test that runs it, as -short
// leaves out: building takes most of a minute on a fresh cache.
func buildForServeTest(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: builds the command and runs it")
	}
	return buildJixiao(t)
}

// TestServeOneProcessPerDatabase: a second serve on the database of a
// running one refuses to start, naming the first; once the first has
// stopped, the database is free again.
func TestServeOneProcessPerDatabase(t *testing.T) {
	bin := buildForServeTest(t)
	db := filepath.Join(t.TempDir(), "one.db")
	args := []string{"--db", db, "--auth", "off", "--rules-dir="}
	first := startBinary(t, bin, args...)

	second := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	var stderr bytes.Buffer
	second.Stderr = &stderr
	done := make(chan error, 1)
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- second.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		second.Process.Kill()
		t.Fatalf("the second serve did not exit; stderr:\n%s", stderr.String())
	}
	want := fmt.Sprintf("is in use by another jixiao serve (pid %d, listening on 127.0.0.1:0", first.cmd.Process.Pid)
	if second.ProcessState.ExitCode() == 0 || !strings.Contains(stderr.String(), want) {
		t.Errorf("second serve: exit %d, stderr:\n%s\nwant %q", second.ProcessState.ExitCode(), stderr.String(), want)
	}
	// The first one goes on serving.
	first.must(t, "GET", "/healthz", nil, http.StatusOK, nil)

	first.signal(t, syscall.SIGTERM)
	if code := first.wait(t, time.Minute); code != 0 {
		t.Fatalf("the first serve exited %d", code)
	}
	again := startBinary(t, bin, args...)
	again.must(t, "GET", "/healthz", nil, http.StatusOK, nil)
}

// TestServePortTaken: a start that cannot listen stops before it creates
// the database or an admin key nobody would see; the next start, on a free
// port, shows the key.
func TestServePortTaken(t *testing.T) {
	bin := buildForServeTest(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	db := filepath.Join(t.TempDir(), "new.db")
	out, err := exec.Command(bin, "serve", "--addr", taken.Addr().String(), "--db", db, "--rules-dir=").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "cannot listen on "+taken.Addr().String()) || !strings.Contains(string(out), "--addr 127.0.0.1:PORT") {
		t.Fatalf("serve on a taken port: %v\n%s", err, out)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the database was created by a start that could not listen: %v", err)
	}
	p := startBinary(t, bin, "--db", db, "--rules-dir=")
	if !strings.Contains(p.stdout.String(), "created an admin key") || !strings.Contains(p.stdout.String(), "jixiao keys create --role admin --db "+db) {
		t.Errorf("the first start that listens does not show the key:\n%s", p.stdout.String())
	}
}

// TestServeKeepsLastGoodAcrossRestart: a rule file that breaks while the
// service is down does not take its rule set away at the next start: the
// last good version stored for it is served, and /readyz and the log say
// so.
func TestServeKeepsLastGoodAcrossRestart(t *testing.T) {
	bin := buildForServeTest(t)
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	if err := os.Mkdir(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile("../../testdata/rules/district-2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(rulesDir, "district.yaml")
	if err := os.WriteFile(file, good, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--db", filepath.Join(dir, "j.db"), "--auth", "off", "--rules-dir", rulesDir}
	var rs struct {
		Hash string `json:"hash"`
	}
	p := startBinary(t, bin, args...)
	p.must(t, "GET", "/api/v1/rulesets/district-2024", nil, http.StatusOK, &rs)
	goodHash := rs.Hash
	p.signal(t, syscall.SIGTERM)
	p.wait(t, time.Minute)

	broken := strings.Replace(string(good), "W * min(R, 100) / 100", "W * min(RR, 100) / 100", 1)
	if err := os.WriteFile(file, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	p = startBinary(t, bin, args...)
	p.must(t, "GET", "/api/v1/rulesets/district-2024", nil, http.StatusOK, &rs)
	if rs.Hash != goodHash {
		t.Errorf("after the restart district-2024 is %s, want the last good %s", rs.Hash, goodHash)
	}
	var ready struct {
		RuleProblems []struct {
			ID      string `json:"id"`
			Serving struct {
				Hash string `json:"hash"`
			} `json:"serving"`
		} `json:"rule_problems"`
	}
	p.must(t, "GET", "/readyz", nil, http.StatusOK, &ready)
	if len(ready.RuleProblems) != 1 || ready.RuleProblems[0].ID != "district-2024" || ready.RuleProblems[0].Serving.Hash != goodHash {
		t.Errorf("/readyz: %+v", ready)
	}
	if log := p.stderr.String(); !strings.Contains(log, "its last good version stays active until the file is fixed") || !strings.Contains(log, "unknown name: RR") {
		t.Errorf("the log does not say so:\n%s", tail(log, 3000))
	}
}

// A database in a place that cannot be written is refused at the start,
// saying so.
func TestServeReadOnlyPlace(t *testing.T) {
	// /sys is read-only for every user, root too.
	_, err := lockDatabase("/sys/jixiao.db", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "the folder of the database /sys/jixiao.db cannot be written") {
		t.Errorf("err = %v", err)
	}
}

// TestServeListensWhileRulesLoad: the rule files are compiled and tested
// after the service listens. Meanwhile /readyz and the API answer 503, and
// SIGTERM stops the loading and the service at once, with no rule file
// activated; the next start loads them all and is ready.
func TestServeListensWhileRulesLoad(t *testing.T) {
	bin := buildForServeTest(t)
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	if err := os.Mkdir(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	national, err := os.ReadFile("../../rules/builtin/cn-mof-2020-self.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Each file is compiled and its tests run: 400 of them take seconds.
	const files = 400
	for i := range files {
		body := replaceOnce(t, string(national), "\nid: cn-mof-2020-self\n", fmt.Sprintf("\nid: copy-%d\n", i))
		if err := os.WriteFile(filepath.Join(rulesDir, fmt.Sprintf("copy-%d.yaml", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--db", filepath.Join(dir, "j.db"), "--auth", "off", "--rules-dir", rulesDir}

	p := startListening(t, bin, args...)
	status, body, err := p.do("GET", "/readyz", nil)
	if err != nil || status != http.StatusServiceUnavailable || !strings.Contains(string(body), "规则文件正在加载") {
		t.Fatalf("/readyz while loading: %d %s %v", status, body, err)
	}
	status, body, err = p.do("GET", "/api/v1/rulesets", nil)
	if err != nil || status != http.StatusServiceUnavailable {
		t.Fatalf("GET /api/v1/rulesets while loading: %d %s %v", status, body, err)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, time.Minute); code != 0 {
		t.Fatalf("exit %d after SIGTERM while loading; stderr:\n%s", code, tail(p.stderr.String(), 3000))
	}
	if log := p.stderr.String(); strings.Contains(log, `"rule sets loaded"`) || strings.Contains(log, `"id":"copy-`) {
		t.Errorf("the loading was not stopped by SIGTERM:\n%s", tail(log, 3000))
	}

	p = startBinary(t, bin, args...)
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	p.must(t, "GET", "/api/v1/rulesets", nil, http.StatusOK, &list)
	if len(list.Items) != files+5 {
		t.Errorf("%d rule sets active after a full start, want %d", len(list.Items), files+5)
	}
}

// TestServeOnPostgres: serve on a PostgreSQL database (a fresh schema of
// the test server) loads and scores the demo as on SQLite and keeps it
// across a restart, and the database URL's password is never shown.
func TestServeOnPostgres(t *testing.T) {
	bin := buildForServeTest(t)
	u, err := url.Parse(storagetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	// The test server trusts local connections: the password is only
	// there to be kept out of the output.
	u.User = url.UserPassword(u.User.Username(), "s3cret-pw")
	args := []string{"--db", u.String(), "--auth", "off", "--rules-dir=", "--demo"}
	p := startBinary(t, bin, args...)
	first := countDemo(t, p.client)
	if first.projects != 26 || first.scores != 26 || first.runs != 1 {
		t.Fatalf("demo on PostgreSQL: %+v", first)
	}
	if strings.Contains(p.stdout.String()+p.stderr.String(), "s3cret-pw") {
		t.Error("the database URL's password is shown")
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, time.Minute); code != 0 {
		t.Fatalf("exit %d", code)
	}
	p = startBinary(t, bin, args...)
	if again := countDemo(t, p.client); again != first {
		t.Errorf("after a restart: %+v, want %+v", again, first)
	}
}

// TestServeInstancesShareABatch: three instances on one PostgreSQL
// database. A batch of 100,000 projects is started on A, and A is killed
// with SIGKILL in the middle of it: B and C take over its chunks once
// their leases end and finish the run by themselves, with exactly one
// score per project and counts that agree with the scores stored.
func TestServeInstancesShareABatch(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the command and evaluates 100,000 projects on three instances")
	}
	db := storagetest.PostgresURL(t)
	bin := buildJixiao(t)
	args := []string{"--db", db, "--auth", "off", "--rules-dir=", "--workers", "1"}
	a := startBinary(t, bin, args...)
	b := startBinary(t, bin, args...)
	c := startBinary(t, bin, args...)

	start := time.Now()
	a.uploadProjects(t, crashProjects, 10_000)
	t.Logf("uploaded %d projects in %v", crashProjects, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	run := a.startEvaluation(t, map[string]any{"year": 2024, "statuses": everyStatus})
	if run.Total != crashProjects {
		t.Fatalf("started %v, want a run of %d projects", run, crashProjects)
	}
	var seen runView
	eventually(t, 5*time.Minute, "the evaluation passing its first chunk", func() (bool, string) {
		seen = b.getRun(t, run.ID)
		return seen.Scored > evaluation.DefaultChunkSize, seen.String()
	})
	if seen.Status != jixiao.RunRunning || seen.Scored > crashProjects/2 {
		t.Fatalf("the evaluation ran too far before it could be stopped: %v", seen)
	}
	a.signal(t, syscall.SIGKILL)
	a.wait(t, time.Minute)
	killed := time.Now()
	t.Logf("A killed at %v after %v", seen, killed.Sub(start).Round(time.Millisecond))

	var got runView
	eventually(t, 10*time.Minute, "B and C finishing the run", func() (bool, string) {
		got = c.getRun(t, run.ID)
		if got.Status != jixiao.RunRunning && got.Status != jixiao.RunDone {
			t.Fatalf("run: %v", got)
		}
		return got.Status == jixiao.RunDone, got.String()
	})
	t.Logf("done %v after the kill: %v", time.Since(killed).Round(time.Millisecond), got)
	for name, p := range map[string]*subprocess{"B": b, "C": c} {
		if !strings.Contains(p.stderr.String(), "taking over the free chunks of a run") {
			t.Errorf("%s did not take part in the run", name)
		}
	}
	if got.Scored != crashProjects || got.Rejected != 0 {
		t.Errorf("run: %v, want %d scored and none rejected", got, crashProjects)
	}
	if n := b.resultsTotal(t, run.ID); n != crashProjects {
		t.Errorf("the run links %d scores, want %d", n, crashProjects)
	}
	checkOneScoreEach(t, db, run.ID, got.RuleSetHash, crashProjects)
}

// TestServeKeyRevokedOnEveryInstance: a key revoked on one instance of a
// PostgreSQL database is refused by the others, which read keys from the
// database they share.
func TestServeKeyRevokedOnEveryInstance(t *testing.T) {
	bin := buildForServeTest(t)
	db := storagetest.PostgresURL(t)
	args := []string{"--db", db, "--rules-dir="}
	a := startBinary(t, bin, args...)
	m := regexp.MustCompile(`(?m)^\s+(jx_[a-z0-9]+)$`).FindStringSubmatch(a.stdout.String())
	if m == nil {
		t.Fatalf("no admin key shown:\n%s", a.stdout.String())
	}
	a.key = m[1]
	b, c := startBinary(t, bin, args...), startBinary(t, bin, args...)
	b.key, c.key = a.key, a.key

	var created struct {
		Key struct {
			ID int64 `json:"id"`
		} `json:"key"`
		Secret string `json:"secret"`
	}
	a.must(t, "POST", "/api/v1/keys", map[string]any{"name": "读者", "role": "viewer"}, http.StatusCreated, &created)
	viewers := map[string]*client{}
	for name, p := range map[string]*subprocess{"A": a, "B": b, "C": c} {
		v := newClient(strings.TrimPrefix(p.base, "http://"))
		v.key = created.Secret
		v.must(t, "GET", "/api/v1/projects", nil, http.StatusOK, nil)
		viewers[name] = v
	}
	b.must(t, "DELETE", "/api/v1/keys/"+itoa(created.Key.ID), nil, http.StatusNoContent, nil)
	revoked := time.Now()
	for _, name := range []string{"A", "C"} {
		eventually(t, 10*time.Second, "the revoked key refused on "+name, func() (bool, string) {
			status, _, err := viewers[name].do("GET", "/api/v1/projects", nil)
			return err == nil && status == http.StatusUnauthorized, fmt.Sprintf("status %d, %v", status, err)
		})
		// Keys are remembered for a second (api's key cache): the
		// refusal comes within that, plus a request; the time is logged,
		// not asserted, so that a slow machine does not fail the test.
		t.Logf("%s refuses the revoked key %v after the revocation", name, time.Since(revoked).Round(time.Millisecond))
	}
}

// TestServeInstancesShareRules: three instances on one PostgreSQL
// database, A watching a rules directory. A new version of a rule file on
// A becomes the active version on B and C within seconds, without their
// own files; a broken edit on A leaves the last good version active on
// all three.
func TestServeInstancesShareRules(t *testing.T) {
	bin := buildForServeTest(t)
	db := storagetest.PostgresURL(t)
	rulesDir := t.TempDir()
	national, err := os.ReadFile("../../rules/builtin/cn-mof-2020-self.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(rulesDir, "cn-mof-2020-self.yaml")
	a := startBinary(t, bin, "--db", db, "--auth", "off", "--rules-dir", rulesDir)
	b := startBinary(t, bin, "--db", db, "--auth", "off", "--rules-dir=")
	c := startBinary(t, bin, "--db", db, "--auth", "off", "--rules-dir=")
	activeHash := func(p *subprocess) string {
		var v struct {
			Hash string `json:"hash"`
		}
		p.must(t, "GET", "/api/v1/rulesets/cn-mof-2020-self", nil, http.StatusOK, &v)
		return v.Hash
	}
	builtin := activeHash(a)
	for _, p := range []*subprocess{b, c} {
		if h := activeHash(p); h != builtin {
			t.Fatalf("before any edit: %s, want the built-in %s", h, builtin)
		}
	}

	good := replaceOnce(t, string(national), `version: "2024.1"`, `version: "2024.2"`)
	writeRuleFile(t, file, good)
	edited := time.Now()
	want := sha256Hex(good)
	for name, p := range map[string]*subprocess{"A": a, "B": b, "C": c} {
		eventually(t, time.Minute, name+" on the edited version", func() (bool, string) {
			h := activeHash(p)
			return h == want, h
		})
		t.Logf("%s active on the edited version %v after the edit", name, time.Since(edited).Round(time.Millisecond))
	}
	broken := strings.Replace(good, "W * min(R, 100) / 100", "W * min(RR, 100) / 100", 1)
	writeRuleFile(t, file, broken)
	eventually(t, time.Minute, "A reporting the broken file", func() (bool, string) {
		status, body, err := a.do("GET", "/api/v1/rulesets", nil)
		return err == nil && status == http.StatusOK && strings.Contains(string(body), "unknown name: RR"), string(body)
	})
	time.Sleep(3 * time.Second) // what B and C would have heard by now
	for name, p := range map[string]*subprocess{"A": a, "B": b, "C": c} {
		if h := activeHash(p); h != want {
			t.Errorf("%s after the broken edit: %s, want the last good %s", name, h, want)
		}
	}
	for name, p := range map[string]*subprocess{"B": b, "C": c} {
		var ready map[string]any
		p.must(t, "GET", "/readyz", nil, http.StatusOK, &ready)
		if ready["listener"] != "ok" {
			t.Errorf("%s /readyz: %v", name, ready)
		}
	}
}

// privatePostgres starts a PostgreSQL cluster of the test's own with
// .ci/postgres, so that restarting it disturbs no other test, and returns
// its URL and a function that takes it down for a while and back.
func privatePostgres(t *testing.T) (url string, restart func(down time.Duration)) {
	t.Helper()
	if _, err := exec.LookPath("runuser"); err != nil && os.Getuid() == 0 {
		t.Skip("runuser not found")
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("no PostgreSQL server under CI=true: apt-get install postgresql")
		}
		t.Skip("PostgreSQL server not installed: apt-get install postgresql")
	}
	state, err := os.MkdirTemp("", "jixiao-pg-")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	script, err := filepath.Abs("../../.ci/postgres")
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		cmd := exec.Command(script, args...)
		cmd.Env = append(os.Environ(), "JIXIAO_PG_STATE="+state, "JIXIAO_PG_PORT="+strconv.Itoa(port))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf(".ci/postgres %v: %v", args, err)
		}
		return string(out)
	}
	m := regexp.MustCompile(`JIXIAO_TEST_POSTGRES='([^']+)'`).FindStringSubmatch(run("start"))
	if m == nil {
		t.Fatal(".ci/postgres start printed no URL")
	}
	t.Cleanup(func() { run("stop"); os.RemoveAll(state) })
	return m[1], func(down time.Duration) { run("restart", strconv.Itoa(int(down.Seconds()))) }
}

// TestServeBatchSurvivesDatabaseRestart: PostgreSQL restarts in the
// middle of an official batch. The batch finishes by itself once the
// database is back, with one score per project, nothing duplicated or
// lost; meanwhile requests get 503 problems, not 500s.
func TestServeBatchSurvivesDatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the command, runs its own PostgreSQL and evaluates 30,000 projects")
	}
	db, restart := privatePostgres(t)
	bin := buildJixiao(t)
	const n = 30_000
	p := startBinary(t, bin, "--db", db, "--auth", "off", "--rules-dir=", "--workers", "1")
	p.uploadProjects(t, n, 10_000)
	run := p.startEvaluation(t, map[string]any{"year": 2024, "statuses": everyStatus})
	eventually(t, 5*time.Minute, "the evaluation passing its first chunk", func() (bool, string) {
		seen := p.getRun(t, run.ID)
		return seen.Scored > 0, seen.String()
	})
	down := make(chan struct{})
	go func() { defer close(down); restart(3 * time.Second) }()
	statuses := map[int]int{}
	for {
		select {
		case <-down:
		default:
			status, _, err := p.do("GET", "/api/v1/evaluations/"+itoa(run.ID), nil)
			if err == nil {
				statuses[status]++
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		break
	}
	t.Logf("answers while the database restarted: %v", statuses)
	if statuses[http.StatusInternalServerError] > 0 {
		t.Errorf("%d answers were 500 while the database was away", statuses[http.StatusInternalServerError])
	}
	var got runView
	eventually(t, 5*time.Minute, "the run finishing after the restart", func() (bool, string) {
		status, body, err := p.do("GET", "/api/v1/evaluations/"+itoa(run.ID), nil)
		if err != nil || status != http.StatusOK {
			return false, fmt.Sprintf("%d %s %v", status, body, err)
		}
		got = runView{}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if got.Status != jixiao.RunRunning && got.Status != jixiao.RunDone {
			t.Fatalf("run after the restart: %v", got)
		}
		return got.Status == jixiao.RunDone, got.String()
	})
	t.Logf("after the restart: %v", got)
	checkOneScoreEach(t, db, run.ID, got.RuleSetHash, n)
}

// demoLoginLine is what serve --demo prints of its demo login.
var demoLoginLine = regexp.MustCompile(`用户名 (\S+)  密码 (\S+)`)

// TestServeDemoLogin: the first serve --demo prints a bureau login and a
// department login once, which log in to the real service; the department
// sees its approved, scored projects; the next start prints none.
func TestServeDemoLogin(t *testing.T) {
	bin := buildForServeTest(t)
	db := filepath.Join(t.TempDir(), "demo.db")
	p := startBinary(t, bin, "--db", db, "--rules-dir=", "--demo")
	logins := demoLoginLine.FindAllStringSubmatch(p.stdout.String(), -1)
	if len(logins) != 2 || logins[0][1] != "demo.bureau" || logins[1][1] != "demo.dept" {
		t.Fatalf("demo logins printed:\n%s", p.stdout.String())
	}
	var session struct {
		User      jixiao.User `json:"user"`
		CSRFToken string      `json:"csrf_token"`
	}
	p.must(t, "POST", "/api/v1/session", map[string]string{"name": logins[0][1], "password": logins[0][2]}, http.StatusOK, &session)
	if session.User.Role != jixiao.RoleAdmin || session.User.MustChangePassword || session.CSRFToken == "" || session.User.Department != "" {
		t.Errorf("demo bureau session: %+v", session)
	}
	p.must(t, "POST", "/api/v1/session", map[string]string{"name": logins[0][1], "password": logins[0][2] + "x"}, http.StatusUnauthorized, nil)
	p.must(t, "POST", "/api/v1/session", map[string]string{"name": logins[1][1], "password": logins[1][2]}, http.StatusOK, &session)
	if session.User.Role != jixiao.RoleScorer || session.User.Department != "HHGJJ" {
		t.Errorf("demo department session: %+v", session)
	}
	var list struct {
		Total int `json:"total"`
		Items []struct {
			Status      string `json:"status"`
			LatestScore *struct {
				Grade string `json:"grade"`
			} `json:"latest_score"`
		} `json:"items"`
	}
	key := regexp.MustCompile(`(?m)^\s+(jx_[a-z0-9]+)$`).FindStringSubmatch(p.stdout.String())
	if key == nil {
		t.Fatalf("no admin key shown:\n%s", p.stdout.String())
	}
	p.key = key[1]
	p.must(t, "GET", "/api/v1/projects?year=2024&status=approved&per_page=100", nil, http.StatusOK, &list)
	if list.Total != 26 {
		t.Errorf("%d approved demo projects, want 26", list.Total)
	}
	for _, it := range list.Items {
		if it.LatestScore == nil {
			t.Errorf("an approved demo project has no score: %+v", it)
		}
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, time.Minute); code != 0 {
		t.Fatalf("serve exited with %d after SIGTERM", code)
	}

	again := startBinary(t, bin, "--db", db, "--rules-dir=", "--demo")
	if demoLoginLine.MatchString(again.stdout.String()) {
		t.Errorf("the second start printed a demo login:\n%s", again.stdout.String())
	}
}
