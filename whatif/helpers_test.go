package whatif

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// builtinIDs are the rule sets shipped with the program.
var builtinIDs = []string{"cn-mof-2020-self", "hubei-self", "jiangxi-self", "huaihua-2024"}

var (
	rsMu    sync.Mutex
	rsCache = map[string]*engine.RuleSet{}
)

func loadRS(t testing.TB, id string) *engine.RuleSet {
	t.Helper()
	rsMu.Lock()
	defer rsMu.Unlock()
	if rs, ok := rsCache[id]; ok {
		return rs
	}
	src, ok := rules.BuiltinByID(id)
	if !ok {
		t.Fatalf("no built-in rule set %s", id)
	}
	rs, err := engine.Load(src.Path, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	rsCache[id] = rs
	return rs
}

// loadText compiles a rule file given as text.
func loadText(t testing.TB, name, text string) *engine.RuleSet {
	t.Helper()
	rs, err := engine.Load(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func builtinText(t testing.TB, id string) string {
	t.Helper()
	src, ok := rules.BuiltinByID(id)
	if !ok {
		t.Fatalf("no built-in rule set %s", id)
	}
	return string(src.Data)
}

// huaihua returns a fresh decoding of the Huaihua 2024 projects.
func huaihua(t testing.TB) []jixiao.Project {
	t.Helper()
	data, err := os.ReadFile("../demo/huaihua-2024-projects.json")
	if err != nil {
		t.Fatal(err)
	}
	in, err := jixiao.DecodeProjectsBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Rejected) > 0 || len(in.Projects) != 26 {
		t.Fatalf("huaihua data: %d projects, rejected %v", len(in.Projects), in.Rejected)
	}
	return in.Projects
}

func byID(t testing.TB, projects []jixiao.Project, id string) jixiao.Project {
	t.Helper()
	for _, p := range projects {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no project %s", id)
	return jixiao.Project{}
}

func dec(s string) jixiao.Decimal {
	d, err := jixiao.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func decp(s string) *jixiao.Decimal { d := dec(s); return &d }
func fp(f float64) *float64         { return &f }
func num(s string) *json.Number     { n := json.Number(s); return &n }

// snapshot is a deep, comparable image of projects.
func snapshot(t testing.TB, projects []jixiao.Project) string {
	t.Helper()
	b, err := json.Marshal(projects)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// golden compares got with testdata/name, or rewrites the file with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./whatif -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./whatif -update and review the diff.\ngot:\n%s", path, got)
	}
}
