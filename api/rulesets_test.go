package api_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jixiao"
	"jixiao/rules"
)

type ruleSetView struct {
	jixiao.RuleSetRef
	Name     string `json:"name"`
	YearFrom int    `json:"year_from"`
	Extends  string `json:"extends"`
	Grades   []struct {
		Grade string `json:"grade"`
	} `json:"grades"`
	Tree []struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
	} `json:"tree"`
	YAML   string `json:"yaml"`
	Status *struct {
		Source string             `json:"source"`
		Active *jixiao.RuleSetRef `json:"active"`
	} `json:"status"`
}

// builtinYAML is the rule file of a built-in rule set.
func builtinYAML(t testing.TB, id string) string {
	t.Helper()
	for _, src := range rules.Builtin() {
		if strings.TrimSuffix(filepath.Base(src.Path), ".yaml") == id {
			return string(src.Data)
		}
	}
	t.Fatalf("no built-in %s", id)
	return ""
}

// edit replaces old by new in a rule file, exactly once.
func edit(t testing.TB, file, old, new string) string {
	t.Helper()
	if strings.Count(file, old) != 1 {
		t.Fatalf("%q is not in the rule file exactly once", old)
	}
	return strings.Replace(file, old, new, 1)
}

// lineOf is the line of the rule file where s starts.
func lineOf(file, s string) int {
	return 1 + strings.Count(file[:strings.Index(file, s)], "\n")
}

// Rule-file variants of cn-mof-2020-self.
func draftGrades(t testing.TB) string {
	f := builtinYAML(t, "cn-mof-2020-self")
	f = edit(t, f, `version: "2024.1"`, `version: "2024.2"`)
	f = edit(t, f, `{grade: 优, from: 90, to: 100}`, `{grade: 优, from: 91.5, to: 100}`)
	return edit(t, f, `{grade: 良, from: 80, to: 90}`, `{grade: 良, from: 80, to: 91.5}`)
}

const brokenFormula = "score: W * min(RR, 100) / 100"

func draftBroken(t testing.TB) string {
	f := edit(t, builtinYAML(t, "cn-mof-2020-self"), `version: "2024.1"`, `version: "2024.3"`)
	return edit(t, f, "score: W * min(R, 100) / 100", brokenFormula)
}

func draftFailingTest(t testing.TB) string {
	f := edit(t, builtinYAML(t, "cn-mof-2020-self"), `version: "2024.1"`, `version: "2024.4"`)
	return edit(t, f, "expect: {total: 100, grade: 优,", "expect: {total: 99, grade: 优,")
}

func (st *stack) activeHash(id string) string {
	st.t.Helper()
	var v ruleSetView
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/"+id).want(st.t, http.StatusOK).decode(st.t, &v)
	return v.Hash
}

func TestRuleSetsList(t *testing.T) {
	st := newStack(t)
	var list struct {
		Items      []ruleSetView `json:"items"`
		Default    string        `json:"default"`
		Unloadable []any         `json:"unloadable"`
	}
	st.get(jixiao.RoleViewer, "/api/v1/rulesets").want(t, http.StatusOK).decode(t, &list)
	var got []string
	for _, rs := range list.Items {
		got = append(got, rs.ID)
		if rs.Status == nil || rs.Status.Source != jixiao.SourceBuiltin || rs.Status.Active.Hash != rs.Hash || rs.YAML != "" || len(rs.Tree) == 0 {
			t.Errorf("%s: %+v", rs.ID, rs)
		}
		if variant := strings.HasSuffix(rs.ID, "-self") && rs.ID != "cn-mof-2020-self"; variant != (rs.Extends == "cn-mof-2020-self") {
			t.Errorf("%s extends %q", rs.ID, rs.Extends)
		}
	}
	if strings.Join(got, ",") != "cn-mof-2020-self,cn-mof-2021-cost,huaihua-2024,hubei-self,jiangxi-self" || list.Default != "cn-mof-2020-self" || len(list.Unloadable) != 0 {
		t.Errorf("list: %v, default %s, unloadable %v", got, list.Default, list.Unloadable)
	}

	// A file the registry cannot load shows among the unloadable ones.
	if err := os.WriteFile(filepath.Join(st.dir, "junk.yaml"), []byte("id: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An upload scans the directory first.
	st.do(request{method: http.MethodPut, path: "/api/v1/rulesets/cn-mof-2020-self", role: jixiao.RoleAdmin,
		body: []byte(draftGrades(t)), ctype: "application/yaml"}).want(t, http.StatusOK)
	st.get(jixiao.RoleViewer, "/api/v1/rulesets").want(t, http.StatusOK).decode(t, &list)
	if len(list.Unloadable) != 1 || !strings.Contains(fmt.Sprint(list.Unloadable[0]), "junk.yaml") {
		t.Errorf("unloadable %v", list.Unloadable)
	}
}

func TestRuleSetGet(t *testing.T) {
	st := newStack(t)
	var v ruleSetView
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/cn-mof-2020-self").want(t, http.StatusOK).decode(t, &v)
	want := builtinYAML(t, "cn-mof-2020-self")
	if v.ID != "cn-mof-2020-self" || v.Version != "2024.1" || v.YAML != want || v.YearFrom != 2020 || len(v.Grades) != 4 || len(v.Tree) != 4 || v.Tree[0].Kind != "fixed" || v.Tree[1].Kind != "leaves" {
		t.Errorf("rule set %+v", v)
	}
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/cn-mof-2020-self?format=json").want(t, http.StatusOK)

	res := st.get(jixiao.RoleViewer, "/api/v1/rulesets/cn-mof-2020-self?format=yaml").want(t, http.StatusOK)
	if string(res.body) != want || !strings.HasPrefix(res.header.Get("Content-Type"), "application/yaml") {
		t.Errorf("YAML: %s %q", res.header.Get("Content-Type"), truncate(string(res.body), 100))
	}
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/nope").problem(t, http.StatusNotFound, "not_found")
}

// Regression: an unknown format was answered with JSON instead of an error.
func TestRuleSetGetUnknownFormat(t *testing.T) {
	st := newStack(t)
	p := st.do(request{method: http.MethodGet, path: "/api/v1/rulesets/cn-mof-2020-self?format=xml", role: jixiao.RoleViewer, specInvalid: true}).
		problem(t, http.StatusUnprocessableEntity, "invalid")
	p.hasError(t, "", "format", `"xml"`)
}

func TestRuleSetVersions(t *testing.T) {
	st := newStack(t)
	builtinHash := st.activeHash("cn-mof-2020-self")
	var versions struct {
		Items []jixiao.RuleSetVersion `json:"items"`
	}
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/cn-mof-2020-self/versions").want(t, http.StatusOK).decode(t, &versions)
	if len(versions.Items) != 1 || versions.Items[0].Hash != builtinHash || versions.Items[0].Source != jixiao.SourceBuiltin || versions.Items[0].Body != "" {
		t.Fatalf("versions %+v", versions.Items)
	}

	st.do(request{method: http.MethodPut, path: "/api/v1/rulesets/cn-mof-2020-self", role: jixiao.RoleAdmin,
		body: []byte(draftGrades(t)), ctype: "application/yaml"}).want(t, http.StatusOK)
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/cn-mof-2020-self/versions").want(t, http.StatusOK).decode(t, &versions)
	if len(versions.Items) != 2 || versions.Items[0].Version != "2024.2" || versions.Items[0].Source != jixiao.SourceAPI ||
		versions.Items[0].LoadedBy != "admin-key" || versions.Items[1].Hash != builtinHash {
		t.Fatalf("versions after the upload %+v", versions.Items)
	}

	// Every version stays readable, with its body, by hash.
	var v jixiao.RuleSetVersion
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/cn-mof-2020-self/versions/"+builtinHash).want(t, http.StatusOK).decode(t, &v)
	if v.Hash != builtinHash || v.Body != builtinYAML(t, "cn-mof-2020-self") || v.Version != "2024.1" {
		t.Errorf("version %+v", v)
	}
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/hubei-self/versions/"+builtinHash).problem(t, http.StatusNotFound, "not_found")
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/cn-mof-2020-self/versions/"+strings.Repeat("0", 64)).problem(t, http.StatusNotFound, "not_found")
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/nope/versions").problem(t, http.StatusNotFound, "not_found")
}

type validationReport struct {
	Valid   bool               `json:"valid"`
	Tests   []map[string]any   `json:"tests"`
	Errors  []rules.Diagnostic `json:"errors"`
	RuleSet *jixiao.RuleSetRef `json:"ruleset"`
	Impact  *struct {
		Projects int      `json:"projects"`
		Compared int      `json:"compared"`
		Grades   []string `json:"grades"`
		Matrix   [][]int  `json:"matrix"`
		Changed  []string `json:"changed"`
	} `json:"impact"`
}

func TestRuleSetValidate(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	// A project that scores 91.00: 优 now, 良 under the draft.
	st.postJSON(jixiao.RoleScorer, "/api/v1/projects", []any{project("P-91", 10000)}).want(t, http.StatusOK)
	activeHash := st.activeHash("cn-mof-2020-self")

	validate := func(body, ctype, query string) validationReport {
		t.Helper()
		var v validationReport
		st.do(request{method: http.MethodPost, path: "/api/v1/rulesets/validate" + query, role: jixiao.RoleScorer, body: []byte(body), ctype: ctype}).
			want(t, http.StatusOK).decode(t, &v)
		return v
	}
	st.unchanged(func() {
		v := validate(draftGrades(t), "application/yaml", "")
		if !v.Valid || len(v.Errors) != 0 || len(v.Tests) != 14 || v.RuleSet == nil || v.RuleSet.Version != "2024.2" || v.Impact == nil {
			t.Fatalf("valid draft: %+v", v)
		}
		if v.Impact.Projects != 27 || v.Impact.Compared != 27 || strings.Join(v.Impact.Changed, ",") != "P-91" ||
			fmt.Sprint(v.Impact.Matrix) != "[[26 1 0 0] [0 0 0 0] [0 0 0 0] [0 0 0 0]]" {
			t.Errorf("impact %+v", v.Impact)
		}

		// As JSON, and as text/yaml.
		if v := validate(string(jsonBody(t, map[string]string{"yaml": draftGrades(t)})), "application/json", ""); !v.Valid || v.Impact == nil {
			t.Errorf("JSON form: %+v", v)
		}
		if v := validate(draftGrades(t), "text/yaml; charset=utf-8", ""); !v.Valid {
			t.Errorf("text/yaml: %+v", v)
		}

		// A formula that does not compile: no rule set, the diagnostic
		// located in the file named by ?name.
		v = validate(draftBroken(t), "application/x-yaml", "?name=mine.yaml")
		line := lineOf(draftBroken(t), brokenFormula)
		if v.Valid || v.RuleSet != nil || v.Impact != nil || len(v.Errors) == 0 || v.Errors[0].File != "mine.yaml" || v.Errors[0].Line != line ||
			v.Errors[0].Indicator != "execution" || !strings.Contains(v.Errors[0].Message, "RR") {
			t.Errorf("broken draft (line %d): %+v", line, v)
		}

		// A test that fails: the rule set compiles but is not valid.
		v = validate(draftFailingTest(t), "application/yaml", "")
		failed := 0
		for _, tr := range v.Tests {
			if tr["passed"] == false {
				failed++
			}
		}
		if v.Valid || v.RuleSet == nil || v.Impact != nil || failed != 1 || len(v.Errors) != 1 || !strings.Contains(v.Errors[0].Message, "全部达标得满分") {
			t.Errorf("failing test: %+v", v)
		}
	})
	if h := st.activeHash("cn-mof-2020-self"); h != activeHash {
		t.Error("validation changed the active version")
	}

	for _, tt := range []struct {
		name, body, ctype, code, field string
		status                         int
		specInvalid                    bool
	}{
		{"empty YAML", "", "application/yaml", "invalid", "yaml", 422, true},
		{"empty JSON", `{"yaml": ""}`, "application/json", "invalid", "yaml", 422, true},
		{"JSON not a string", `{"yaml": 1}`, "application/json", "malformed", "yaml", 400, true},
		{"broken JSON", `{"yaml": `, "application/json", "malformed", "", 400, true},
		{"text/plain", "id: x", "text/plain", "unsupported_media_type", "", 415, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := st.sub(t)
			st.unchanged(func() {
				p := st.do(request{method: http.MethodPost, path: "/api/v1/rulesets/validate", role: jixiao.RoleScorer, body: []byte(tt.body), ctype: tt.ctype, specInvalid: tt.specInvalid}).
					problem(t, tt.status, tt.code)
				if tt.field != "" {
					p.hasError(t, "", tt.field, "")
				}
			})
		})
	}
}

// Regression: the JSON form of a rule file was decoded leniently, taking
// unknown fields (and names in any case) without a word.
func TestRuleFileJSONIsStrict(t *testing.T) {
	st := newStack(t)
	for _, tt := range []struct {
		body, detail string
		specInvalid  bool
	}{
		{`{"yaml": "id: x", "extra": 1}`, `未知字段 "extra"`, true},
		{`{"YAML": "id: x"}`, `未知字段 "YAML"`, true},
		{`{"yaml": "id: x", "yaml": "id: y"}`, `字段重复 "yaml"`, false},
		{`{"yaml": "id: x"} {}`, "JSON 文档之后还有多余的内容", false},
	} {
		st.unchanged(func() {
			for _, path := range []string{"/api/v1/rulesets/validate", "/api/v1/rulesets/cn-mof-2020-self"} {
				method, role := http.MethodPost, jixiao.RoleScorer
				if path != "/api/v1/rulesets/validate" {
					method, role = http.MethodPut, jixiao.RoleAdmin
				}
				p := st.do(request{method: method, path: path, role: role, body: []byte(tt.body), ctype: "application/json", specInvalid: tt.specInvalid}).
					problem(t, http.StatusBadRequest, "malformed")
				if p.Detail != tt.detail && !strings.Contains(p.Detail, tt.detail) {
					t.Errorf("%s: detail %q, want %q", tt.body, p.Detail, tt.detail)
				}
			}
		})
	}
}

func TestRuleSetUpload(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	builtinHash := st.activeHash("cn-mof-2020-self")
	put := func(role, id, body, ctype string) *response {
		return st.do(request{method: http.MethodPut, path: "/api/v1/rulesets/" + id, role: role, body: []byte(body), ctype: ctype})
	}

	// A broken file is refused with every problem at file:line, and the
	// active version stays.
	st.unchanged(func() {
		p := put(jixiao.RoleAdmin, "cn-mof-2020-self", draftBroken(t), "application/yaml").problem(t, http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(p.Detail, "active version is unchanged") {
			t.Errorf("detail %q", p.Detail)
		}
		line := lineOf(draftBroken(t), brokenFormula)
		found := false
		for _, e := range p.Errors {
			if strings.HasSuffix(e.Field, fmt.Sprintf("cn-mof-2020-self.yaml:%d", line)) && strings.HasPrefix(e.Message, "execution: ") && strings.Contains(e.Message, "RR") {
				found = true
			}
		}
		if !found {
			t.Errorf("no error at cn-mof-2020-self.yaml:%d in %+v", line, p.Errors)
		}
		p = put(jixiao.RoleAdmin, "cn-mof-2020-self", draftFailingTest(t), "application/yaml").problem(t, http.StatusUnprocessableEntity, "invalid")
		if len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "全部达标得满分") {
			t.Errorf("failing test: %+v", p.Errors)
		}
		// The file's id must be the one uploaded to.
		p = put(jixiao.RoleAdmin, "other-id", draftGrades(t), "application/yaml").problem(t, http.StatusUnprocessableEntity, "invalid")
		p.hasError(t, "", p.Errors[0].Field, "uploaded as other-id")
		// An id that cannot be one.
		p = st.do(request{method: http.MethodPut, path: "/api/v1/rulesets/9lives", role: jixiao.RoleAdmin, body: []byte(draftGrades(t)), ctype: "application/yaml", specInvalid: true}).
			problem(t, http.StatusUnprocessableEntity, "invalid")
		// A scorer may validate but not upload.
		put(jixiao.RoleScorer, "cn-mof-2020-self", draftGrades(t), "application/yaml").problem(t, http.StatusForbidden, "forbidden")
	})
	if h := st.activeHash("cn-mof-2020-self"); h != builtinHash {
		t.Fatal("a refused upload changed the active version")
	}
	if entries, _ := os.ReadDir(st.dir); len(entries) != 0 {
		t.Errorf("a refused upload left files: %v", entries)
	}

	// A good file becomes the active version, is stored and audited.
	var v ruleSetView
	put(jixiao.RoleAdmin, "cn-mof-2020-self", string(jsonBody(t, map[string]string{"yaml": draftGrades(t)})), "application/json").
		want(t, http.StatusOK).decode(t, &v)
	if v.Version != "2024.2" || v.Hash == builtinHash || v.YAML != "" {
		t.Errorf("uploaded %+v", v)
	}
	if h := st.activeHash("cn-mof-2020-self"); h != v.Hash {
		t.Errorf("active %s, want %s", h, v.Hash)
	}
	if _, err := os.Stat(filepath.Join(st.dir, "cn-mof-2020-self.yaml")); err != nil {
		t.Error(err)
	}
	var audit struct {
		Items []jixiao.AuditEntry `json:"items"`
	}
	// The upload, its activation, and a new effective version of each
	// rule set that extends it.
	st.get(jixiao.RoleAdmin, "/api/v1/audit?per_page=4").want(t, http.StatusOK).decode(t, &audit)
	activated := map[string]string{} // subject → actor
	for _, e := range audit.Items[1:] {
		if e.Action == "ruleset.activate" {
			activated[e.Subject] = e.Actor
		}
	}
	if len(audit.Items) != 4 || audit.Items[0].Action != "ruleset.upload" || audit.Items[0].Actor != "admin-key" ||
		activated["cn-mof-2020-self"] != "admin-key" || activated["hubei-self"] != "system" || activated["jiangxi-self"] != "system" {
		t.Errorf("audit %+v", audit.Items)
	}
	// New evaluations use it.
	ev := st.evaluate(map[string]any{"year": 2024})
	if ev.Run.RuleSetHash != v.Hash {
		t.Errorf("evaluated with %s, want %s", ev.Run.RuleSetHash, v.Hash)
	}

	// Uploading the same file again changes nothing.
	before := st.counts()
	put(jixiao.RoleAdmin, "cn-mof-2020-self", draftGrades(t), "application/yaml").want(t, http.StatusOK)
	if after := st.counts(); after.Versions != before.Versions {
		t.Errorf("versions %d → %d", before.Versions, after.Versions)
	}

	// A file of the directory that holds another rule set is not
	// overwritten by an upload.
	other := edit(t, draftGrades(t), "id: cn-mof-2020-self", "id: bar")
	otherPath := filepath.Join(st.dir, "foo.yaml")
	if err := os.WriteFile(otherPath, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	foo := edit(t, draftGrades(t), "id: cn-mof-2020-self", "id: foo")
	put(jixiao.RoleAdmin, "foo", foo, "application/yaml").problem(t, http.StatusConflict, "conflict")
	if data, _ := os.ReadFile(otherPath); string(data) != other {
		t.Error("foo.yaml was overwritten")
	}
	st.get(jixiao.RoleViewer, "/api/v1/rulesets/foo").problem(t, http.StatusNotFound, "not_found")
}

func TestRuleSetUploadWithoutRulesDir(t *testing.T) {
	st := newStack(t, func(c *config) { c.noRulesDir = true })
	st.unchanged(func() {
		st.do(request{method: http.MethodPut, path: "/api/v1/rulesets/cn-mof-2020-self", role: jixiao.RoleAdmin, body: []byte(draftGrades(t)), ctype: "application/yaml"}).
			problem(t, http.StatusServiceUnavailable, "unavailable")
	})
}
