package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"jixiao"
	"jixiao/rules"
)

const (
	mofID = "cn-mof-2020-self"
	// waitTimeout bounds every wait for the watcher; generous so that a
	// slow machine never fails a test that is only waiting.
	waitTimeout = 10 * time.Second
)

// ---- helpers ----

func builtinData(t *testing.T, id string) []byte {
	t.Helper()
	src, ok := rules.BuiltinByID(id)
	if !ok {
		t.Fatalf("no built-in %s", id)
	}
	return src.Data
}

// withVersion returns a copy of a built-in rule file with another version.
func withVersion(t *testing.T, data []byte, version string) []byte {
	t.Helper()
	out := bytes.Replace(data, []byte(`version: "2024.1"`), []byte(`version: "`+version+`"`), 1)
	if bytes.Equal(out, data) {
		t.Fatal("version line not found")
	}
	return out
}

func replace(t *testing.T, data []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%q not found", old)
	}
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

func lineOf(t *testing.T, data []byte, s string) int {
	t.Helper()
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		t.Fatalf("%q not found", s)
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

type reload struct {
	id string
	ok bool
}

// recorder keeps what the callbacks were given.
type recorder struct {
	mu          sync.Mutex
	activations []jixiao.RuleSetVersion
	reloads     []reload
	fail        func(jixiao.RuleSetVersion) error // when set, OnActivate's answer
}

func (rc *recorder) activate(v jixiao.RuleSetVersion) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.fail != nil {
		if err := rc.fail(v); err != nil {
			return err
		}
	}
	rc.activations = append(rc.activations, v)
	return nil
}

func (rc *recorder) reload(id string, ok bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.reloads = append(rc.reloads, reload{id, ok})
}

func (rc *recorder) activationsOf(id string) []jixiao.RuleSetVersion {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []jixiao.RuleSetVersion
	for _, v := range rc.activations {
		if v.RuleSetID == id {
			out = append(out, v)
		}
	}
	return out
}

func (rc *recorder) hasReload(id string, ok bool) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Contains(rc.reloads, reload{id, ok})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	t   *testing.T
	r   *Registry
	rec *recorder
	log *syncBuffer
	dir string
}

// newHarness creates a registry over dir with fast timings and the
// callbacks recorded. Events only (no poll) unless opts say otherwise.
func newHarness(t *testing.T, dir string, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, rec: &recorder{}, log: &syncBuffer{}, dir: dir}
	opts.Dir = dir
	if opts.Debounce == 0 {
		opts.Debounce = 20 * time.Millisecond
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = -1
	}
	opts.Logger = slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.OnActivate = h.rec.activate
	opts.OnReload = h.rec.reload
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.r = r
	return h
}

// run starts the watcher and stops it when the test ends.
func (h *harness) run() *harness {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.r.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Run: %v", err)
		}
	})
	return h
}

func (h *harness) path(name string) string { return filepath.Join(h.dir, name) }

func (h *harness) activeHash(id string) string {
	rs, ok := h.r.Snapshot().Get(id)
	if !ok {
		return ""
	}
	return rs.Ref().Hash
}

func (h *harness) status(id string) Status {
	for _, s := range h.r.Status() {
		if s.ID == id {
			return s
		}
	}
	return Status{}
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("not within %s: %s\nlog:\n%s", waitTimeout, what, h.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) waitActive(id string, data []byte) {
	h.t.Helper()
	want := h.effectiveHash(data)
	h.waitFor(id+" active with hash "+jixiao.ShortHash(want), func() bool { return h.activeHash(id) == want })
}

// effectiveHash is the hash of a rule file once loaded: of its bytes, or
// for a file that extends another, of its effective file on the active
// parent.
func (h *harness) effectiveHash(data []byte) string {
	h.t.Helper()
	if rules.ExtendsOf(data) == "" {
		return hashOf(data)
	}
	rs, _, err := h.r.Validate(context.Background(), "effective.yaml", data)
	if err != nil {
		h.t.Fatal(err)
	}
	return rs.Ref().Hash
}

// waitError waits for an error of path, whose diagnostics contain text, in
// the status of id. (Matching the text skips a transient error, such as
// the empty file an in-place write leaves for a moment.)
func (h *harness) waitError(id, path, text string) FileError {
	h.t.Helper()
	var got FileError
	h.waitFor("an error of "+path+" with "+text+" in the status of "+id, func() bool {
		for _, e := range h.status(id).Errors {
			if e.Path == path && strings.Contains(rules.Errors(e.Diagnostics).Error(), text) {
				got = e
				return true
			}
		}
		return false
	})
	return got
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// saveByRename saves as editors do: a new file, renamed over the old.
func saveByRename(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	writeFile(t, tmp, data)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// dirContents is every file of dir with its content.
func dirContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

// ---- tests ----

func TestBuiltinsOnly(t *testing.T) {
	rec := &recorder{}
	r, err := New(Options{OnActivate: rec.activate, OnReload: rec.reload, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Ready() {
		t.Error("not ready after New")
	}
	builtins := rules.Builtin()
	snap := r.Snapshot()
	if got := snap.IDs(); len(got) != len(builtins) || !slices.Contains(got, mofID) {
		t.Fatalf("ids %v, want the %d built-ins", got, len(builtins))
	}
	for _, id := range snap.IDs() {
		rs, ok := snap.Get(id)
		if !ok || rs == nil {
			t.Fatalf("Get(%s) = %v, %v", id, rs, ok)
		}
		if byHash, ok := snap.ByHash(rs.Ref().Hash); !ok || byHash != rs {
			t.Errorf("ByHash(%s) does not find the active version", id)
		}
		v, _ := snap.Version(id)
		if v.Source != jixiao.SourceBuiltin || v.Path != "builtin/"+id+".yaml" || v.ActivatedAt == nil || v.Body == "" {
			t.Errorf("version of %s: %+v", id, v)
		}
	}
	if n := len(rec.activations); n != len(builtins) {
		t.Errorf("%d activations at start, want %d", n, len(builtins))
	}
	if len(rec.reloads) != 0 {
		t.Errorf("reloads without files: %v", rec.reloads)
	}
	for _, s := range r.Status() {
		if s.Active == nil || s.Source != jixiao.SourceBuiltin || len(s.Errors) > 0 || s.LastAttempt == nil {
			t.Errorf("status %+v", s)
		}
	}
	if _, err := r.Put(context.Background(), mofID, builtinData(t, mofID), "admin"); !errors.Is(err, ErrNoDir) {
		t.Errorf("Put without a directory: %v", err)
	}
	if _, ok := snap.Get("no-such-id"); ok {
		t.Error("Get of an unknown id")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after cancel")
	}
}

func TestNewFails(t *testing.T) {
	if _, err := New(Options{Dir: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("New with a missing directory succeeded")
	}
	file := filepath.Join(t.TempDir(), "f.yaml")
	writeFile(t, file, builtinData(t, mofID))
	if _, err := New(Options{Dir: file}); err == nil {
		t.Error("New with a file as directory succeeded")
	}
}

// TestLifecycle: override a built-in, edit it in place and by rename,
// break it in several ways, fix it, delete it.
func TestLifecycle(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{}).run()
	builtinHash := h.activeHash(mofID)
	if builtinHash != hashOf(builtinData(t, mofID)) {
		t.Fatal("the built-in is not active at start")
	}
	path := h.path(mofID + ".yaml")

	// A file overriding the built-in.
	v2 := withVersion(t, builtinData(t, mofID), "2024.2")
	writeFile(t, path, v2)
	h.waitActive(mofID, v2)
	v, _ := h.r.Snapshot().Version(mofID)
	if v.Version != "2024.2" || v.Source != jixiao.SourceFile || v.Path != path || v.Body != string(v2) || v.ActivatedAt == nil {
		t.Errorf("version %+v", v)
	}
	acts := h.rec.activationsOf(mofID)
	if len(acts) != 2 || acts[0].Source != jixiao.SourceBuiltin || acts[1].Hash != hashOf(v2) || acts[1].Source != jixiao.SourceFile {
		t.Errorf("activations %+v", acts)
	}
	if !h.rec.hasReload(mofID, true) {
		t.Error("no OnReload(id, true)")
	}
	if _, ok := h.r.Snapshot().ByHash(builtinHash); !ok {
		t.Error("the overridden built-in is not found by hash")
	}

	// Edit in place.
	v3 := withVersion(t, builtinData(t, mofID), "2024.3")
	writeFile(t, path, v3)
	h.waitActive(mofID, v3)

	// Save by rename.
	good := withVersion(t, builtinData(t, mofID), "2024.4")
	saveByRename(t, path, good)
	h.waitActive(mofID, good)
	if _, ok := h.r.Snapshot().ByHash(hashOf(v3)); !ok {
		t.Error("an earlier version is not found by hash")
	}

	broken := []struct {
		name        string
		data        []byte
		line        int // 0: any line
		indicator   string
		failedTests []string
		contains    string
	}{
		{name: "yaml indentation", data: replace(t, good, "    name: 预算执行率\n", "   name: 预算执行率\n"), contains: "indentation"},
		{name: "misspelt key", data: replace(t, good, "    points: 10\n    cases:", "    pionts: 10\n    cases:"),
			line: lineOf(t, good, "    points: 10\n    cases:"), contains: `unknown key "pionts"`},
		{name: "unknown name in formula", data: replace(t, good, "score: W * min(R, 100) / 100", "score: W * min(RR, 100) / 100"),
			line: lineOf(t, good, "score: W * min(R, 100) / 100"), indicator: "execution", contains: "unknown name: RR"},
		{name: "failing test", data: replace(t, good, "expect: {total: 100, grade: 优", "expect: {total: 99, grade: 优"),
			line: lineOf(t, good, "- name: 全部达标得满分"), failedTests: []string{"全部达标得满分"}, contains: "want 99"},
	}
	parent := h.t
	for i, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			h.t = t
			defer func() { h.t = parent }()
			saveOrWrite := writeFile
			if i%2 == 1 {
				saveOrWrite = saveByRename
			}
			saveOrWrite(t, path, b.data)
			fe := h.waitError(mofID, path, b.contains)
			if got := h.activeHash(mofID); got != hashOf(good) {
				t.Fatalf("active hash %s after a broken edit, want the last good %s", jixiao.ShortHash(got), jixiao.ShortHash(hashOf(good)))
			}
			if len(fe.Diagnostics) == 0 {
				t.Fatal("no diagnostics")
			}
			d := fe.Diagnostics[0]
			if d.File != path || d.Line <= 0 || (b.line > 0 && d.Line != b.line) || d.Indicator != b.indicator || !strings.Contains(d.Message, b.contains) {
				t.Errorf("diagnostic %+v, want file %s line %d indicator %q containing %q", d, path, b.line, b.indicator, b.contains)
			}
			if !slices.Equal(fe.FailedTests, b.failedTests) {
				t.Errorf("failed tests %v, want %v", fe.FailedTests, b.failedTests)
			}
			st := h.status(mofID)
			if st.Active == nil || st.Active.Hash != hashOf(good) || st.Path != path || st.LastAttempt == nil {
				t.Errorf("status %+v", st)
			}
			if !h.rec.hasReload(mofID, false) {
				t.Error("no OnReload(id, false)")
			}
			logs := h.log.String()
			if !strings.Contains(logs, "rule file rejected") || !strings.Contains(logs, fmt.Sprintf("%s:%d", path, d.Line)) {
				t.Errorf("the log does not name the file and the error:\n%s", logs)
			}

			// Fixing the file activates it and clears the error.
			fixed := withVersion(t, builtinData(t, mofID), "2024.1"+string(rune('a'+i)))
			saveOrWrite(t, path, fixed)
			h.waitActive(mofID, fixed)
			if st := h.status(mofID); len(st.Errors) != 0 {
				t.Errorf("errors after the fix: %+v", st.Errors)
			}
			good = fixed
		})
	}
	n := len(h.rec.activationsOf(mofID))

	// Deleting the override brings the built-in back.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the built-in active again", func() bool { return h.activeHash(mofID) == builtinHash })
	v, _ = h.r.Snapshot().Version(mofID)
	if v.Source != jixiao.SourceBuiltin {
		t.Errorf("source after delete: %s", v.Source)
	}
	acts = h.rec.activationsOf(mofID)
	if len(acts) != n+1 || acts[n].Source != jixiao.SourceBuiltin || acts[n].Hash != builtinHash {
		t.Errorf("no activation of the built-in after delete: %+v", acts[n:])
	}
	if st := h.status(mofID); len(st.Errors) != 0 || st.Source != jixiao.SourceBuiltin {
		t.Errorf("status after delete %+v", st)
	}
}

func TestNewRuleSetAddedAndRemoved(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{}).run()
	data, err := os.ReadFile("../testdata/rules/district-2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := h.path("district.yaml")
	writeFile(t, path, data)
	h.waitActive("district-2024", data)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	h.waitFor("district-2024 removed", func() bool {
		_, ok := h.r.Snapshot().Get("district-2024")
		return !ok
	})
	if slices.Contains(h.r.Snapshot().IDs(), "district-2024") {
		t.Error("removed id still listed")
	}
	if _, ok := h.r.Snapshot().ByHash(hashOf(data)); !ok {
		t.Error("a removed version is not found by hash")
	}
	if st := h.status("district-2024"); st.ID != "" {
		t.Errorf("status of a removed rule set: %+v", st)
	}
	if !strings.Contains(h.log.String(), "rule set removed") {
		t.Errorf("removal not logged:\n%s", h.log.String())
	}
}

func TestStartWithFiles(t *testing.T) {
	dir := t.TempDir()
	v2 := withVersion(t, builtinData(t, mofID), "2024.2")
	writeFile(t, filepath.Join(dir, "mof.yaml"), v2)
	brokenHubei := replace(t, builtinData(t, "cn-mof-2021-cost"), "grades:", "gardes:")
	writeFile(t, filepath.Join(dir, "hubei.yaml"), brokenHubei)
	writeFile(t, filepath.Join(dir, "garbage.yml"), []byte("{{{ not yaml"))

	h := newHarness(t, dir, Options{})
	if got := h.activeHash(mofID); got != hashOf(v2) {
		t.Errorf("the file is not active after New")
	}
	if acts := h.rec.activationsOf(mofID); len(acts) != 1 || acts[0].Source != jixiao.SourceFile {
		t.Errorf("activations of an overridden built-in at start: %+v", acts)
	}
	// The broken override leaves the built-in active and shows its error.
	if got := h.activeHash("cn-mof-2021-cost"); got != hashOf(builtinData(t, "cn-mof-2021-cost")) {
		t.Error("the built-in is not active under a broken override")
	}
	st := h.status("cn-mof-2021-cost")
	if st.Source != jixiao.SourceBuiltin || len(st.Errors) != 1 || st.Errors[0].Path != filepath.Join(dir, "hubei.yaml") {
		t.Errorf("status %+v", st)
	}
	// A file whose id cannot be read is listed by path.
	var unknown *Status
	for _, s := range h.r.Status() {
		if s.ID == "" {
			unknown = &s
		}
	}
	if unknown == nil || unknown.Path != filepath.Join(dir, "garbage.yml") || len(unknown.Errors) != 1 || unknown.Errors[0].Diagnostics[0].Line == 0 {
		t.Errorf("status of an unreadable id: %+v", unknown)
	}
	if !h.rec.hasReload("garbage.yml", false) || !h.rec.hasReload("cn-mof-2021-cost", false) || !h.rec.hasReload(mofID, true) {
		t.Errorf("reloads %v", h.rec.reloads)
	}
}

func TestDuplicateIDs(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{}).run()
	a := withVersion(t, builtinData(t, mofID), "2024.2")
	b := withVersion(t, builtinData(t, mofID), "2024.3")
	writeFile(t, h.path("b.yaml"), b)
	h.waitActive(mofID, b)
	writeFile(t, h.path("a.yaml"), a)
	h.waitActive(mofID, a) // the first by name wins
	fe := h.waitError(mofID, h.path("b.yaml"), "also the id of")
	if d := fe.Diagnostics[0]; !strings.Contains(d.Message, "a.yaml") || d.Line != lineOf(t, b, "id: ") {
		t.Errorf("diagnostic %+v", d)
	}
	if err := os.Remove(h.path("a.yaml")); err != nil {
		t.Fatal(err)
	}
	h.waitActive(mofID, b)
	if st := h.status(mofID); len(st.Errors) != 0 || st.Path != h.path("b.yaml") {
		t.Errorf("status %+v", st)
	}

	// A later file with a taken id is an error from its first load.
	c := withVersion(t, builtinData(t, mofID), "2024.4")
	writeFile(t, h.path("c.yaml"), c)
	h.waitError(mofID, h.path("c.yaml"), "b.yaml")
	if !h.rec.hasReload(mofID, false) {
		t.Error("no OnReload(id, false) for the second file")
	}
	if h.activeHash(mofID) != hashOf(b) {
		t.Error("the second file replaced the first")
	}
}

func TestIgnoredFiles(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{}).run()
	for _, name := range []string{"." + mofID + ".yaml.swp", mofID + ".yaml~", "4913", "notes.txt", ".hidden.yaml"} {
		writeFile(t, h.path(name), []byte("id: [broken"))
	}
	if err := os.Mkdir(h.path("sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Written last: once its error shows, the others were scanned too.
	writeFile(t, h.path("zz.yaml"), []byte("{{{"))
	h.waitFor("zz.yaml rejected", func() bool {
		for _, s := range h.r.Status() {
			if s.Path == h.path("zz.yaml") {
				return true
			}
		}
		return false
	})
	for _, s := range h.r.Status() {
		if len(s.Errors) > 0 && s.Path != h.path("zz.yaml") {
			t.Errorf("unexpected error %+v", s)
		}
	}
	if got := h.activeHash(mofID); got != hashOf(builtinData(t, mofID)) {
		t.Error("an ignored file changed the active version")
	}
}

func TestPut(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{}).run()
	builtinHash := h.activeHash(mofID)
	before := dirContents(t, h.dir)

	// A broken body writes nothing and returns the diagnostics.
	bad := replace(t, withVersion(t, builtinData(t, mofID), "2024.2"), "score: W * min(R, 100) / 100", "score: W * min(RR, 100) / 100")
	_, err := h.r.Put(context.Background(), mofID, bad, "admin")
	var errs rules.Errors
	if !errors.As(err, &errs) || len(errs) == 0 || errs[0].Line != lineOf(t, bad, "min(RR") || errs[0].Indicator != "execution" {
		t.Fatalf("Put of a broken body: %v", err)
	}
	// A failing test, and a body whose id is not the one uploaded.
	failing := replace(t, builtinData(t, mofID), "expect: {total: 100, grade: 优", "expect: {total: 99, grade: 优")
	if _, err := h.r.Put(context.Background(), mofID, failing, "admin"); !errors.As(err, &errs) || !strings.Contains(errs[0].Message, "全部达标得满分") {
		t.Errorf("Put with a failing test: %v", err)
	}
	if _, err := h.r.Put(context.Background(), "hubei-self", builtinData(t, mofID), "admin"); !errors.As(err, &errs) || !strings.Contains(errs[0].Message, "uploaded as hubei-self") {
		t.Errorf("Put under another id: %v", err)
	}
	if _, err := h.r.Put(context.Background(), "../etc", builtinData(t, mofID), "admin"); jixiao.ErrorCode(err) != jixiao.EINVALID {
		t.Error("Put with a path as id")
	}
	if after := dirContents(t, h.dir); len(after) != len(before) {
		t.Fatalf("a rejected upload changed the directory: %v", after)
	}
	if h.activeHash(mofID) != builtinHash || len(h.rec.activationsOf(mofID)) != 1 {
		t.Fatal("a rejected upload changed the active version")
	}

	// A good body is written and activated at once.
	good := withVersion(t, builtinData(t, mofID), "2024.2")
	rs, err := h.r.Put(context.Background(), mofID, good, "zhang.san")
	if err != nil {
		t.Fatal(err)
	}
	if rs.Ref().Hash != hashOf(good) || h.activeHash(mofID) != hashOf(good) {
		t.Fatal("Put did not activate the upload")
	}
	path := h.path(mofID + ".yaml")
	if after := dirContents(t, h.dir); len(after) != 1 || after[mofID+".yaml"] != string(good) {
		t.Fatalf("directory after Put: %v", after)
	}
	acts := h.rec.activationsOf(mofID)
	if len(acts) != 2 || acts[1].Source != jixiao.SourceAPI || acts[1].LoadedBy != "zhang.san" || acts[1].Path != path {
		t.Fatalf("activations %+v", acts)
	}
	if st := h.status(mofID); st.Source != jixiao.SourceAPI || st.LoadedBy != "zhang.san" {
		t.Errorf("status %+v", st)
	}

	// The watcher sees the written file but does not activate it again.
	// Another file changed afterwards shows when a scan has passed.
	hubei := withVersion(t, builtinData(t, "cn-mof-2021-cost"), "2024.2")
	writeFile(t, h.path("cn-mof-2021-cost.yaml"), hubei)
	h.waitActive("cn-mof-2021-cost", hubei)
	if acts := h.rec.activationsOf(mofID); len(acts) != 2 {
		t.Errorf("the watcher activated the upload again: %+v", acts)
	}
	if v, _ := h.r.Snapshot().Version(mofID); v.Source != jixiao.SourceAPI {
		t.Errorf("source %s after the watcher saw the upload", v.Source)
	}

	// The same body again changes nothing.
	if rs2, err := h.r.Put(context.Background(), mofID, good, "li.si"); err != nil || rs2.Ref().Hash != rs.Ref().Hash {
		t.Errorf("Put of the active body: %v", err)
	}
	if acts := h.rec.activationsOf(mofID); len(acts) != 2 {
		t.Errorf("Put of the active body activated it again: %+v", acts)
	}

	// An upload replaces the file that carries the id, whatever its name.
	jx2 := withVersion(t, builtinData(t, "jiangxi-self"), "2024.2")
	writeFile(t, h.path("my-rules.yaml"), jx2)
	h.waitActive("jiangxi-self", jx2)
	jx3 := withVersion(t, builtinData(t, "jiangxi-self"), "2024.3")
	if _, err := h.r.Put(context.Background(), "jiangxi-self", jx3, "admin"); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(h.path("my-rules.yaml")); !bytes.Equal(data, jx3) {
		t.Error("the upload did not replace the file that carries the id")
	}
	if _, err := os.Stat(h.path("jiangxi-self.yaml")); !os.IsNotExist(err) {
		t.Error("the upload created a second file for the id")
	}

	// It does not overwrite a file named after the id that holds another
	// rule set.
	district, err := os.ReadFile("../testdata/rules/district-2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, h.path("huaihua-2024.yaml"), district)
	h.waitActive("district-2024", district)
	if _, err := h.r.Put(context.Background(), "huaihua-2024", withVersion(t, builtinData(t, "huaihua-2024"), "2024.2"), "admin"); jixiao.ErrorCode(err) != jixiao.ECONFLICT {
		t.Errorf("Put over a file of another rule set: %v", err)
	}
	if data, _ := os.ReadFile(h.path("huaihua-2024.yaml")); !bytes.Equal(data, district) {
		t.Error("the other rule set's file was changed")
	}

	// No temporary file is left behind.
	for name := range dirContents(t, h.dir) {
		if strings.HasPrefix(name, ".") {
			t.Errorf("left behind: %s", name)
		}
	}
}

func TestPutFixesBrokenFile(t *testing.T) {
	dir := t.TempDir()
	broken := replace(t, builtinData(t, "cn-mof-2021-cost"), "grades:", "gardes:")
	writeFile(t, filepath.Join(dir, "hubei.yaml"), broken)
	h := newHarness(t, dir, Options{})
	good := withVersion(t, builtinData(t, "cn-mof-2021-cost"), "2024.2")
	if _, err := h.r.Put(context.Background(), "cn-mof-2021-cost", good, "admin"); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "hubei.yaml")); !bytes.Equal(data, good) {
		t.Error("the upload did not replace the broken file of its id")
	}
	if st := h.status("cn-mof-2021-cost"); len(st.Errors) != 0 || st.Active.Hash != hashOf(good) {
		t.Errorf("status %+v", st)
	}
}

func TestValidate(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{})
	n := len(h.rec.activations)
	good := withVersion(t, builtinData(t, mofID), "2024.2")
	rs, results, err := h.r.Validate(context.Background(), "upload.yaml", good)
	if err != nil || rs == nil || len(results) == 0 {
		t.Fatalf("Validate: %v", err)
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("test %s failed", r.Name)
		}
	}
	failing := replace(t, good, "expect: {total: 100, grade: 优", "expect: {total: 99, grade: 优")
	rs, results, err = h.r.Validate(context.Background(), "upload.yaml", failing)
	if err == nil || rs == nil || len(failedTests(results)) != 1 {
		t.Errorf("Validate of a failing test: %v %v", err, results)
	}
	if _, _, err := h.r.Validate(context.Background(), "upload.yaml", []byte("id: [")); err == nil {
		t.Error("Validate of a broken file")
	}
	if len(h.rec.activations) != n || h.activeHash(mofID) != hashOf(builtinData(t, mofID)) {
		t.Error("Validate activated something")
	}
	if len(dirContents(t, h.dir)) != 0 {
		t.Error("Validate wrote a file")
	}
}

// TestPollFallback: with filesystem events off, the poll finds changes.
func TestPollFallback(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{noEvents: true, PollInterval: 20 * time.Millisecond}).run()
	path := h.path("override.yaml")
	v2 := withVersion(t, builtinData(t, mofID), "2024.2")
	writeFile(t, path, v2)
	h.waitActive(mofID, v2)
	v3 := withVersion(t, builtinData(t, mofID), "2024.3")
	saveByRename(t, path, v3)
	h.waitActive(mofID, v3)
	writeFile(t, path, []byte("id: "+mofID+"\nversion: [\n"))
	h.waitError(mofID, path, path)
	if h.activeHash(mofID) != hashOf(v3) {
		t.Error("a broken file replaced the active version")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	h.waitActive(mofID, builtinData(t, mofID))
}

// TestDebounce: a burst of writes is loaded once it has settled, not once
// per write.
func TestDebounce(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{Debounce: 500 * time.Millisecond}).run()
	path := h.path("override.yaml")
	const writes = 10
	var last []byte
	for i := range writes {
		last = withVersion(t, builtinData(t, mofID), "2024.2."+string(rune('0'+i)))
		writeFile(t, path, last)
	}
	h.waitActive(mofID, last)
	// One activation at start, then far fewer than one per write.
	if n := len(h.rec.activationsOf(mofID)) - 1; n >= writes {
		t.Errorf("%d activations for a burst of %d writes", n, writes)
	}
}

// TestConcurrentReaders: readers never see a missing rule set, or a
// status older than the snapshot, while files are edited, broken, deleted
// and uploaded. Run with -race.
func TestConcurrentReaders(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{PollInterval: 10 * time.Millisecond, Debounce: 5 * time.Millisecond}).run()
	path := h.path(mofID + ".yaml")

	var stop atomic.Bool
	var reads, misses, stale atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				snap := h.r.Snapshot()
				rs, ok := snap.Get(mofID)
				if !ok || rs == nil || rs.File() == nil {
					misses.Add(1)
				}
				for _, id := range snap.IDs() {
					if rs, ok := snap.Get(id); !ok || rs == nil {
						misses.Add(1)
					}
				}
				// The status read after a snapshot is computed from that
				// snapshot, or from a later one: never from an earlier one.
				st := h.r.Status()
				if h.r.Snapshot() == snap {
					for _, s := range st {
						if s.ID == mofID && (s.Active == nil || s.Active.Hash != rs.Ref().Hash) {
							stale.Add(1)
						}
					}
				}
				reads.Add(1)
			}
		})
	}

	broken := replace(t, builtinData(t, mofID), "score: W * min(R, 100) / 100", "score: W * min(RR, 100) / 100")
	for i := range 8 {
		data := withVersion(t, builtinData(t, mofID), "2024.3."+string(rune('0'+i)))
		switch i % 3 {
		case 0:
			writeFile(t, path, data)
		case 1:
			saveByRename(t, path, data)
		case 2:
			if _, err := h.r.Put(context.Background(), mofID, data, "admin"); err != nil {
				t.Fatal(err)
			}
		}
		h.waitActive(mofID, data)
		writeFile(t, path, broken)
		h.waitError(mofID, path, "unknown name: RR")
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		h.waitActive(mofID, builtinData(t, mofID))
	}
	stop.Store(true)
	wg.Wait()
	if misses.Load() > 0 {
		t.Errorf("%d of %d reads found no rule set", misses.Load(), reads.Load())
	}
	if stale.Load() > 0 {
		t.Errorf("%d of %d reads found a status older than the snapshot read before it", stale.Load(), reads.Load())
	}
}

// TestPutSeesUnscannedFile: an upload goes to the file that carries the
// id even when the watcher has not seen that file yet.
func TestPutSeesUnscannedFile(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{}) // not running: nothing scans
	writeFile(t, h.path("aaa.yaml"), withVersion(t, builtinData(t, "cn-mof-2021-cost"), "2024.2"))
	good := withVersion(t, builtinData(t, "cn-mof-2021-cost"), "2024.3")
	if _, err := h.r.Put(context.Background(), "cn-mof-2021-cost", good, "admin"); err != nil {
		t.Fatal(err)
	}
	if got := dirContents(t, h.dir); len(got) != 1 || got["aaa.yaml"] != string(good) {
		t.Errorf("directory after Put: %v", got)
	}
	if h.activeHash("cn-mof-2021-cost") != hashOf(good) {
		t.Error("the upload is not active")
	}
}

// TestDirectoryRemoved: a directory that disappears (an unmounted volume)
// unloads nothing; once it is back, its files are loaded again.
func TestDirectoryRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, Options{PollInterval: 20 * time.Millisecond}).run()
	v2 := withVersion(t, builtinData(t, mofID), "2024.2")
	writeFile(t, h.path("mof.yaml"), v2)
	h.waitActive(mofID, v2)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the directory error in the status", func() bool {
		for _, s := range h.r.Status() {
			if s.ID == "" && s.Path == dir {
				return true
			}
		}
		return false
	})
	if h.activeHash(mofID) != hashOf(v2) {
		t.Fatal("a missing directory unloaded its rule set")
	}

	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	v3 := withVersion(t, builtinData(t, mofID), "2024.3")
	writeFile(t, h.path("mof.yaml"), v3)
	h.waitActive(mofID, v3)
	for _, s := range h.r.Status() {
		if len(s.Errors) > 0 {
			t.Errorf("error left after the directory came back: %+v", s)
		}
	}
	// Edits go on being picked up.
	v4 := withVersion(t, builtinData(t, mofID), "2024.4")
	saveByRename(t, h.path("mof.yaml"), v4)
	h.waitActive(mofID, v4)
}

func TestRunNeedsEventsOrPoll(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{noEvents: true, PollInterval: -1})
	if err := h.r.Run(context.Background()); err == nil {
		t.Error("Run without events and without polling succeeded")
	}
}

// TestStartRestoresLastGood starts with a broken override whose last good
// version is remembered: that version is active, not the built-in, and
// the file's error is reported; fixing the file activates the fix.
func TestStartRestoresLastGood(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mof.yaml")
	v2 := withVersion(t, builtinData(t, mofID), "2024.2")
	broken := replace(t, v2, "score: W * min(R, 100) / 100", "score: W * min(Rx, 100) / 100")
	writeFile(t, path, broken)
	var asked []string
	h := newHarness(t, dir, Options{LastGood: func(p, id string) (jixiao.RuleSetVersion, bool) {
		asked = append(asked, p+" "+id)
		if p != path || id != mofID {
			return jixiao.RuleSetVersion{}, false
		}
		return jixiao.RuleSetVersion{RuleSetID: id, Version: "2024.2", Hash: hashOf(v2), Body: string(v2),
			Source: jixiao.SourceAPI, Path: p, LoadedBy: "alice"}, true
	}}).run()
	if got := h.activeHash(mofID); got != hashOf(v2) {
		t.Fatalf("active %s, want the last good version %s", jixiao.ShortHash(got), jixiao.ShortHash(hashOf(v2)))
	}
	if want := []string{path + " " + mofID}; !slices.Equal(asked, want) {
		t.Errorf("LastGood asked for %q, want %q", asked, want)
	}
	acts := h.rec.activationsOf(mofID)
	if len(acts) != 1 || acts[0].Hash != hashOf(v2) || acts[0].Source != jixiao.SourceAPI || acts[0].Path != path || acts[0].LoadedBy != "alice" {
		t.Errorf("activations at start: %+v", acts)
	}
	st := h.status(mofID)
	if st.Active == nil || st.Active.Version != "2024.2" || len(st.Errors) != 1 ||
		st.Errors[0].Diagnostics[0].Line != lineOf(t, broken, "Rx") || st.Errors[0].Diagnostics[0].Indicator != "execution" {
		t.Errorf("status %+v", st)
	}
	if !h.rec.hasReload(mofID, false) {
		t.Errorf("the broken file was not reported as a failed reload: %v", h.rec.reloads)
	}

	v3 := withVersion(t, builtinData(t, mofID), "2024.3")
	writeFile(t, path, v3)
	h.waitActive(mofID, v3)
	h.waitFor("the error cleared", func() bool { return len(h.status(mofID).Errors) == 0 })
	// Once started, a broken edit keeps the version in use, as always;
	// LastGood is not asked again.
	writeFile(t, path, broken)
	h.waitError(mofID, path, "Rx")
	if got := h.activeHash(mofID); got != hashOf(v3) {
		t.Errorf("active %s after a broken edit, want %s", jixiao.ShortHash(got), jixiao.ShortHash(hashOf(v3)))
	}
	if len(asked) != 1 {
		t.Errorf("LastGood asked again: %q", asked)
	}
}

// TestStartLastGoodRefused: a remembered version that does not load, or
// carries another id, is not restored; the built-in stays active.
func TestStartLastGoodRefused(t *testing.T) {
	for name, body := range map[string][]byte{
		"broken":   replace(t, builtinData(t, mofID), "grades:", "gardes:"),
		"other id": builtinData(t, "hubei-self"),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "mof.yaml")
			writeFile(t, path, replace(t, builtinData(t, mofID), "score: W * min(R, 100) / 100", "score: W * min(Rx, 100) / 100"))
			h := newHarness(t, dir, Options{LastGood: func(p, id string) (jixiao.RuleSetVersion, bool) {
				return jixiao.RuleSetVersion{RuleSetID: id, Body: string(body), Source: jixiao.SourceFile, Path: p}, true
			}})
			if got, want := h.activeHash(mofID), hashOf(builtinData(t, mofID)); got != want {
				t.Errorf("active %s, want the built-in %s", jixiao.ShortHash(got), jixiao.ShortHash(want))
			}
			if st := h.status(mofID); st.Source != jixiao.SourceBuiltin || len(st.Errors) != 1 {
				t.Errorf("status %+v", st)
			}
		})
	}
}

// An upload while the rules directory is gone makes it again and writes
// the file: never a success that wrote nothing.
func TestPutRecreatesRemovedDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, Options{})
	good := withVersion(t, builtinData(t, mofID), "2024.2")
	if _, err := h.r.Put(context.Background(), mofID, good, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	// The same content again, and then new content.
	for _, body := range [][]byte{good, withVersion(t, builtinData(t, mofID), "2024.3")} {
		if _, err := h.r.Put(context.Background(), mofID, body, "admin"); err != nil {
			t.Fatal(err)
		}
		if data, err := os.ReadFile(filepath.Join(dir, mofID+".yaml")); err != nil || !bytes.Equal(data, body) {
			t.Fatalf("after Put: %v, %d bytes on disk", err, len(data))
		}
		if h.activeHash(mofID) != hashOf(body) {
			t.Error("the upload is not active")
		}
	}
}

// A version that OnActivate cannot record is not activated: the one before
// stays, Put reports the failure, the status shows it, and the next
// change that is recorded activates as usual.
func TestActivationNeedsItsRecord(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{})
	v2 := withVersion(t, builtinData(t, mofID), "2024.2")
	h.rec.mu.Lock()
	h.rec.fail = func(v jixiao.RuleSetVersion) error {
		if v.Version == "2024.2" {
			return errors.New("disk I/O error")
		}
		return nil
	}
	h.rec.mu.Unlock()
	_, err := h.r.Put(context.Background(), mofID, v2, "admin")
	if err == nil || !strings.Contains(err.Error(), "could not be recorded, so it is not active: disk I/O error") {
		t.Fatalf("Put: %v", err)
	}
	if h.activeHash(mofID) != hashOf(builtinData(t, mofID)) {
		t.Error("a version that was not recorded is active")
	}
	if st := h.status(mofID); len(st.Errors) != 1 || !strings.Contains(st.Errors[0].Diagnostics[0].Message, "disk I/O error") {
		t.Errorf("status %+v", st)
	}

	// The store works again: the next upload is recorded and active, and
	// the error is gone.
	h.rec.mu.Lock()
	h.rec.fail = nil
	h.rec.mu.Unlock()
	v3 := withVersion(t, builtinData(t, mofID), "2024.3")
	if _, err := h.r.Put(context.Background(), mofID, v3, "admin"); err != nil {
		t.Fatal(err)
	}
	if h.activeHash(mofID) != hashOf(v3) || len(h.status(mofID).Errors) != 0 {
		t.Errorf("after recovery: active %s, status %+v", jixiao.ShortHash(h.activeHash(mofID)), h.status(mofID))
	}
}

// New fails when the built-ins cannot be recorded: the service must not
// serve versions it has no record of.
func TestNewFailsWithoutRecords(t *testing.T) {
	_, err := New(Options{Logger: slog.New(slog.DiscardHandler), OnActivate: func(jixiao.RuleSetVersion) error { return errors.New("read-only database") }})
	if err == nil || !strings.Contains(err.Error(), "read-only database") {
		t.Errorf("New: %v", err)
	}
}

// Replaced versions are let go past the most recent KeepRetired: memory does
// not grow with every edit.
func TestRetiredVersionsLetGo(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{})
	const id = "cn-mof-2021-cost" // no rule set extends it: one version retired per upload
	var hashes []string
	for i := range KeepRetired + 10 {
		body := withVersion(t, builtinData(t, id), fmt.Sprintf("2024.%d", i+2))
		if _, err := h.r.Put(context.Background(), id, body, "admin"); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hashOf(body))
	}
	snap := h.r.Snapshot()
	kept := 0
	for i, hash := range hashes {
		_, ok := snap.ByHash(hash)
		if ok {
			kept++
		}
		if recent := i >= len(hashes)-1-KeepRetired; ok != recent {
			t.Errorf("version %d of %d: kept %v", i+1, len(hashes), ok)
		}
	}
	if kept != KeepRetired+1 {
		t.Errorf("%d versions of %s kept, want the active one and %d more", kept, id, KeepRetired)
	}
}

// uploadTimeout bounds an upload that must not wait for a build blocked
// until the test releases it: the build never ends by itself, so the
// bound can be generous for a loaded machine (an upload syncs its file to
// disk) without letting a waiting upload pass.
const uploadTimeout = time.Minute

// blockedHarness runs a harness whose building of the files that match
// blocks until release is called; entered is closed when the first one
// begins. The test's end releases them.
func blockedHarness(t *testing.T, match func(path string) bool) (h *harness, entered chan struct{}, release func()) {
	entered, unblock := make(chan struct{}), make(chan struct{})
	var began, ended sync.Once
	hook := func(path string) {
		if match(path) {
			began.Do(func() { close(entered) })
			<-unblock
		}
	}
	release = func() { ended.Do(func() { close(unblock) }) }
	h = newHarness(t, t.TempDir(), Options{buildHook: hook}).run()
	t.Cleanup(release) // before the harness's own: the watcher must not stay blocked
	return h, entered, release
}

// A rule file that is slow to check does not hold up an upload of another
// rule set: files are compiled and tested without the registry's lock.
func TestSlowFileDoesNotHoldUpPut(t *testing.T) {
	h, entered, release := blockedHarness(t, func(path string) bool { return filepath.Base(path) == "slow.yaml" })
	district, err := os.ReadFile("../testdata/rules/district-2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Saved by rename: a write in place could be seen half done, and the
	// upload's own scan would then build the whole file, blocked too.
	saveByRename(t, h.path("slow.yaml"), district)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher did not begin to check the slow file")
	}

	// While the watcher is still checking it, an upload goes through.
	done := make(chan error, 1)
	good := withVersion(t, builtinData(t, mofID), "2024.2")
	go func() { _, err := h.r.Put(context.Background(), mofID, good, "admin"); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(uploadTimeout):
		t.Fatal("the upload waited for the slow file")
	}
	if h.activeHash(mofID) != hashOf(good) {
		t.Error("the upload is not active")
	}
	release()
	h.waitActive("district-2024", district)
}

// Open returns before the rule files are read; Load reads them. A Load
// whose context ends while a file is being checked activates nothing and
// leaves the registry not ready, and an upload meanwhile is refused; the
// next Load then activates everything, with the file that was being
// checked counted as good.
func TestLoadCancelled(t *testing.T) {
	dir := t.TempDir()
	district, err := os.ReadFile("../testdata/rules/district-2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "district.yaml"), district)
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{}
	r, err := Open(Options{Dir: dir, OnActivate: rec.activate, OnReload: rec.reload, Logger: slog.New(slog.DiscardHandler),
		buildHook: func(string) { cancel() }})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ready() || len(r.Snapshot().IDs()) != 0 {
		t.Fatalf("after Open: ready %v, %d rule sets active; want nothing before Load", r.Ready(), len(r.Snapshot().IDs()))
	}
	if err := r.Load(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with its context cancelled: %v", err)
	}
	if r.Ready() || len(r.Snapshot().IDs()) != 0 || len(rec.activations) != 0 {
		t.Fatalf("after a cancelled Load: ready %v, active %v, %d activations", r.Ready(), r.Snapshot().IDs(), len(rec.activations))
	}
	if _, err := r.Put(context.Background(), "district-2024", district, "admin"); !errors.Is(err, ErrLoading) {
		t.Errorf("Put before Load: %v, want ErrLoading", err)
	}

	r.buildHook = nil
	if err := r.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !r.Ready() {
		t.Fatal("not ready after Load")
	}
	if _, ok := r.Snapshot().Get("district-2024"); !ok {
		t.Errorf("district-2024 not active; status %+v", r.Status())
	}
	for _, st := range r.Status() {
		if len(st.Errors) > 0 {
			t.Errorf("%s: %+v", st.ID, st.Errors)
		}
	}
}

// Rule sets built again on a new version of the one they extend are built
// without the lock: an upload of another rule set does not wait for them.
func TestChildRebuildDoesNotHoldUpPut(t *testing.T) {
	h, entered, release := blockedHarness(t, func(path string) bool { return path == "builtin/hubei-self.yaml" })
	hubeiBefore := h.activeHash("hubei-self")
	national := withVersion(t, builtinData(t, mofID), "2024.2")
	writeFile(t, h.path(mofID+".yaml"), national)
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("hubei-self is not built again on the new national version")
	}

	done := make(chan error, 1)
	district, err := os.ReadFile("../testdata/rules/district-2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, err := h.r.Put(context.Background(), "district-2024", district, "admin"); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(uploadTimeout):
		t.Fatal("the upload waited for the rebuild of hubei-self")
	}
	if h.activeHash("district-2024") == "" {
		t.Error("the upload is not active")
	}
	if h.activeHash("hubei-self") != hubeiBefore {
		t.Error("hubei-self changed before its rebuild was done")
	}
	release()
	h.waitFor("hubei-self built on the new national version", func() bool { return h.activeHash("hubei-self") != hubeiBefore })
	h.waitActive(mofID, national)
}
