package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jixiao"
	"jixiao/demo"
)

// principal is one account of the access matrix.
type principal struct {
	name, role, department string // department "" is bureau-wide
	auth                   string
}

// scopeFixture is the access matrix's world: departments 甲局 (DEPT-A,
// with the unit DEPT-A1) and 乙局 (DEPT-B), their projects, a run and a
// scenario of each department and of the bureau, and a key for every
// role and scope.
type scopeFixture struct {
	st         *stack
	principals []principal
	runs       map[string]int64 // by owner: "A", "B", "bureau"
	scenarios  map[string]int64
	scoreB     int64 // a score of a project of 乙局
}

func newScopeFixture(t *testing.T, changes ...func(*config)) *scopeFixture {
	st := newStack(t, changes...)
	ctx := context.Background()
	for _, d := range []jixiao.Department{{Code: "DEPT-A", Name: "甲局"}, {Code: "DEPT-A1", Name: "甲局下属单位", ParentCode: "DEPT-A"}, {Code: "DEPT-B", Name: "乙局"}} {
		if err := st.store.CreateDepartment(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	proj := func(id, dept string) map[string]any {
		p := project(id, 90000)
		p["department"] = dept
		return p
	}
	st.postJSON(jixiao.RoleScorer, "/api/v1/projects", []any{proj("JA-1", "甲局"), proj("JA-2", "甲局下属单位"), proj("JB-1", "乙局"), proj("JB-2", "乙局")}).want(t, http.StatusOK)

	f := &scopeFixture{st: st, runs: map[string]int64{}, scenarios: map[string]int64{}}
	for _, p := range []principal{
		{name: "bureau-viewer", role: jixiao.RoleViewer}, {name: "bureau-scorer", role: jixiao.RoleScorer},
		{name: "bureau-reviewer", role: jixiao.RoleReviewer}, {name: "bureau-admin", role: jixiao.RoleAdmin},
		{name: "A-viewer", role: jixiao.RoleViewer, department: "DEPT-A"}, {name: "A-scorer", role: jixiao.RoleScorer, department: "DEPT-A"},
		{name: "B-viewer", role: jixiao.RoleViewer, department: "DEPT-B"}, {name: "B-scorer", role: jixiao.RoleScorer, department: "DEPT-B"},
	} {
		secret, key := jixiao.NewAPIKey(p.name, p.role, time.Now())
		key.Department = p.department
		if err := st.store.CreateAPIKey(ctx, &key); err != nil {
			t.Fatal(err)
		}
		p.auth = "Bearer " + secret
		f.principals = append(f.principals, p)
	}
	by := func(name string) principal {
		for _, p := range f.principals {
			if p.name == name {
				return p
			}
		}
		t.Fatalf("no principal %s", name)
		return principal{}
	}
	// Every project is submitted: the departments' runs score submitted
	// projects, and every review call the matrix makes conflicts with
	// JB-2's state, and changes nothing.
	for id, who := range map[string]string{"JA-1": "A-scorer", "JA-2": "A-scorer", "JB-1": "B-scorer", "JB-2": "B-scorer"} {
		st.do(request{method: http.MethodPost, path: "/api/v1/projects/2024/" + id + "/submit", auth: by(who).auth}).want(t, http.StatusOK)
	}
	for owner, who := range map[string]string{"bureau": "bureau-scorer", "A": "A-scorer", "B": "B-scorer"} {
		var ev evaluationResult
		res := st.do(request{method: http.MethodPost, path: "/api/v1/evaluations", auth: by(who).auth, ctype: "application/json",
			body: []byte(`{"year": 2024, "include_submitted": true}`)})
		if res.status == http.StatusAccepted { // scored in the background
			res.decode(t, &ev)
			ev.Run = st.waitRun(ev.Run.ID)
		} else {
			res.want(t, http.StatusCreated).decode(t, &ev)
		}
		f.runs[owner] = ev.Run.ID
		wantScored := map[string]int{"bureau": 4, "A": 2, "B": 2}[owner]
		if ev.Run.Scored != wantScored || ev.Run.Total != wantScored {
			t.Errorf("the run of %s scored %d of %d, want %d", owner, ev.Run.Scored, ev.Run.Total, wantScored)
		}
		var sim struct {
			ScenarioID int64 `json:"scenario_id"`
		}
		st.do(request{method: http.MethodPost, path: "/api/v1/simulations", auth: by(who).auth, ctype: "application/json",
			body: []byte(`{"year": 2024, "save_as": "方案-` + owner + `"}`)}).want(t, http.StatusOK).decode(t, &sim)
		f.scenarios[owner] = sim.ScenarioID
	}
	var scores struct {
		Items []jixiao.ScoreRecord `json:"items"`
	}
	st.do(request{method: http.MethodGet, path: "/api/v1/scores?project_id=JB-1", auth: by("bureau-viewer").auth}).want(t, http.StatusOK).decode(t, &scores)
	if len(scores.Items) == 0 {
		t.Fatal("no score of JB-1")
	}
	f.scoreB = scores.Items[0].ID
	return f
}

// markers are what an account of a department must never see of the
// other: its project ids, names and code.
var markers = map[string][]string{
	"DEPT-A": {"JB-1", "JB-2", "乙局", "DEPT-B", "方案-B", "方案-bureau"},
	"DEPT-B": {"JA-1", "JA-2", "甲局", "DEPT-A", "方案-A", "方案-bureau"},
}

// TestAccessMatrix calls every route as every role in every scope (the
// bureau, and two departments) and checks the status each gets, from one
// table; an account of a department never finds the other department's
// projects, runs, scenarios or names in any answer, spreadsheets included.
func TestAccessMatrix(t *testing.T) {
	f := newScopeFixture(t)
	st := f.st
	proj := func(id, dept string) string {
		p := project(id, 80000)
		p["department"] = dept
		return string(jsonBody(t, []any{p}))
	}
	type row struct {
		method, path, body string
		role               string // the role the route needs
		owner              string // "A", "B" or "bureau": whose thing the path names; "" for lists
		ok, outside        int    // the answer in scope, and outside it
		ctype              string
		echo               bool // the answer may repeat what the (binary) request sent
	}
	// A workbook of 乙局's project JB-1, to import.
	hh := demo.Huaihua()[0]
	hh.ID, hh.Department = "JB-1", "乙局"
	importBody, importType := multipartFile(t, "乙局.xlsx", workbookOf(t, []jixiao.Project{hh}))
	run := func(owner string) string { return fmt.Sprint(f.runs[owner]) }
	sc := func(owner string) string { return fmt.Sprint(f.scenarios[owner]) }
	var jb2 jixiao.ReviewState
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/JB-2/review").want(t, http.StatusOK).decode(t, &jb2)
	rows := []row{
		{"GET", "/api/v1/projects?year=2024", "", "viewer", "", 200, 0, "", false},
		{"GET", "/api/v1/projects/2024/JA-2", "", "viewer", "A", 200, 404, "", false},
		{"GET", "/api/v1/projects/2024/JB-1", "", "viewer", "B", 200, 404, "", false},
		{"GET", "/api/v1/projects/2024/JB-1/form.xlsx", "", "viewer", "B", 200, 404, "", false},
		{"GET", "/api/v1/projects/2024/JB-2/review", "", "viewer", "B", 200, 404, "", false},
		{"GET", "/api/v1/projects/2024/JB-2/versions/" + jb2.InputHash, "", "viewer", "B", 200, 404, "", false},
		{"POST", "/api/v1/projects/2024/JB-2/submit", "", "scorer", "B", 409, 404, "", false},
		{"POST", "/api/v1/projects/2024/JB-2/approve", `{"input_hash": "x"}`, "reviewer", "B", 409, 404, "application/json", false},
		{"POST", "/api/v1/projects/2024/JB-2/return", `{"input_hash": "x", "comment": "意见"}`, "reviewer", "B", 409, 404, "application/json", false},
		{"GET", "/api/v1/exports/summary.xlsx?year=2024", "", "viewer", "", 200, 0, "", false},
		{"GET", "/api/v1/evaluations", "", "viewer", "", 200, 0, "", false},
		{"GET", "/api/v1/evaluations/" + run("A"), "", "viewer", "A", 200, 404, "", false},
		{"GET", "/api/v1/evaluations/" + run("B") + "/results", "", "viewer", "B", 200, 404, "", false},
		{"GET", "/api/v1/evaluations/" + run("bureau"), "", "viewer", "bureau", 200, 404, "", false},
		{"GET", "/api/v1/evaluations/" + run("bureau") + "/results", "", "viewer", "bureau", 200, 404, "", false},
		{"GET", "/api/v1/scores?year=2024", "", "viewer", "", 200, 0, "", false},
		{"GET", fmt.Sprintf("/api/v1/scores/%d", f.scoreB), "", "viewer", "B", 200, 404, "", false},
		{"GET", fmt.Sprintf("/api/v1/scores/%d/verify", f.scoreB), "", "viewer", "B", 200, 404, "", false},
		{"GET", "/api/v1/simulations", "", "viewer", "", 200, 0, "", false},
		{"GET", "/api/v1/simulations/" + sc("B"), "", "viewer", "B", 200, 404, "", false},
		{"GET", "/api/v1/simulations/" + sc("bureau"), "", "viewer", "bureau", 200, 404, "", false},
		{"POST", "/api/v1/simulations", `{"year": 2024, "overrides": [{"field": "spent", "percent": -10}]}`, "viewer", "", 200, 0, "application/json", false},
		{"POST", "/api/v1/simulations/goal-seek", `{"year": 2024, "project_id": "JB-1", "field": "spent", "goal": {"grade": "优"}}`, "viewer", "B", 200, 404, "application/json", false},
		{"GET", "/api/v1/departments", "", "viewer", "", 200, 0, "", false},
		{"GET", "/api/v1/rulesets", "", "viewer", "", 200, 0, "", false},
		{"POST", "/api/v1/projects", proj("JB-1", "乙局"), "scorer", "B", 200, 422, "application/json", false},
		{"POST", "/api/v1/projects", proj("JA-9", "甲局下属单位"), "scorer", "A", 200, 422, "application/json", false},
		{"POST", "/api/v1/evaluations", `{"year": 2024, "project_ids": ["JB-2"], "include_submitted": true}`, "scorer", "B", 201, 422, "application/json", false},
		{"POST", "/api/v1/evaluations/" + run("B") + "/resume", "", "scorer", "B", 409, 404, "", false},
		{"POST", "/api/v1/projects/import", string(importBody), "scorer", "B", 200, 422, importType, true},
		{"POST", "/api/v1/projects/import/marked", string(importBody), "scorer", "", 200, 0, importType, true},
		{"GET", "/api/v1/import/template", "", "viewer", "", 200, 0, "", false},
		{"GET", "/api/v1/rulesets/cn-mof-2020-self", "", "viewer", "", 200, 0, "", false},
		{"GET", "/api/v1/rulesets/cn-mof-2020-self/versions", "", "viewer", "", 200, 0, "", false},
		{"GET", "/api/v1/rulesets/cn-mof-2020-self/versions/" + strings.Repeat("0", 64), "", "viewer", "", 404, 0, "", false},
		{"POST", "/api/v1/rulesets/validate", "id: x", "scorer", "", 200, 0, "application/yaml", false},
		{"PUT", "/api/v1/rulesets/cn-mof-2020-self", "id: x", "admin", "", 422, 0, "application/yaml", false},
		// Admin routes: a scoped account is never an admin. Bodies the
		// routes refuse keep the world as it is.
		{"GET", "/api/v1/keys", "", "admin", "", 200, 0, "", false},
		{"POST", "/api/v1/keys", `{"name": "user:x", "role": "viewer"}`, "admin", "", 422, 0, "application/json", false},
		{"DELETE", "/api/v1/keys/999", "", "admin", "", 404, 0, "", false},
		{"GET", "/api/v1/users", "", "admin", "", 200, 0, "", false},
		{"POST", "/api/v1/users", `{"name": "ab", "role": "viewer", "department_code": "NOPE"}`, "admin", "", 422, 0, "application/json", false},
		{"PATCH", "/api/v1/users/999", `{"role": "viewer"}`, "admin", "", 404, 0, "application/json", false},
		{"POST", "/api/v1/users/999/password", "", "admin", "", 404, 0, "", false},
		{"POST", "/api/v1/departments", `{"code": "一", "name": "x"}`, "admin", "", 422, 0, "application/json", false},
		{"PATCH", "/api/v1/departments/NOPE", `{"name": "x"}`, "admin", "", 404, 0, "application/json", false},
		{"POST", "/api/v1/departments/NOPE/merge", `{"into": "DEPT-A"}`, "admin", "", 404, 0, "application/json", false},
		{"GET", "/api/v1/audit", "", "admin", "", 200, 0, "", false},
	}
	// Every route is in the table, but the public ones and the session's
	// own (which answer to a login, not a key: session_test.go).
	inTable := map[string]bool{}
	for _, r := range rows {
		inTable[r.method+" "+strings.SplitN(r.path, "?", 2)[0]] = true
	}
	for _, rt := range st.srv.Router().Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Path == "/api/v1/openapi.yaml" || strings.HasPrefix(rt.Path, "/api/v1/session") {
			continue
		}
		found := false
		re := regexp.MustCompile("^" + ginParam.ReplaceAllString(regexp.QuoteMeta(rt.Path), "[^/]+") + "$")
		for k := range inTable {
			method, path, _ := strings.Cut(k, " ")
			if method == rt.Method && re.MatchString(path) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s is not in the access matrix", rt.Method, rt.Path)
		}
	}
	scopeOf := map[string]string{"DEPT-A": "A", "DEPT-B": "B"}
	for _, r := range rows {
		for _, p := range f.principals {
			t.Run(p.name+" "+r.method+" "+r.path, func(t *testing.T) {
				st := st.sub(t)
				want := r.ok
				switch {
				case jixiao.RoleRank(p.role) < jixiao.RoleRank(r.role):
					want = http.StatusForbidden
				case p.department != "" && r.owner != "" && scopeOf[p.department] != r.owner:
					want = r.outside
				}
				var body []byte
				if r.body != "" {
					body = []byte(r.body)
				}
				res := st.do(request{method: r.method, path: r.path, auth: p.auth, body: body, ctype: r.ctype})
				if res.status != want {
					t.Fatalf("status %d, want %d: %s", res.status, want, res)
				}
				if p.department == "" {
					return
				}
				text := string(res.body)
				if ct := res.header.Get("Content-Type"); strings.Contains(ct, "spreadsheetml") {
					text = workbookText(t, res.body)
				}
				for _, m := range markers[p.department] {
					// What the caller sent itself is no news to it.
					if r.echo || strings.Contains(r.path+r.body, m) {
						continue
					}
					if strings.Contains(text, m) {
						t.Errorf("the answer shows %q of another department: %s", m, truncate(text, 600))
					}
				}
			})
		}
	}
}

// workbookText is every cell of every sheet of an .xlsx, one per line.
func workbookText(t *testing.T, data []byte) string {
	t.Helper()
	wb, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	var b strings.Builder
	for _, sheet := range wb.GetSheetList() {
		rows, err := wb.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\t"))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestScopedRunInTheBackground: a department's evaluation scored outside
// its request (larger than the synchronous limit) stays within the
// department.
func TestScopedRunInTheBackground(t *testing.T) {
	newScopeFixture(t, func(c *config) { c.opts.SyncLimit = 1 }) // checks every run's counts
}

// TestScopedAccounts: what makes an account scoped, and what is refused.
func TestScopedAccounts(t *testing.T) {
	f := newScopeFixture(t)
	st := f.st
	st.postJSON(jixiao.RoleAdmin, "/api/v1/keys", map[string]any{"name": "A-admin", "role": "admin", "department_code": "DEPT-A"}).
		problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
	st.postJSON(jixiao.RoleAdmin, "/api/v1/users", map[string]any{"name": "a.admin", "role": "admin", "department_code": "DEPT-A"}).
		problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
	st.postJSON(jixiao.RoleAdmin, "/api/v1/users", map[string]any{"name": "x.user", "role": "viewer", "department_code": "NOPE"}).
		problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)

	// A department user logs in and sees their department's projects only,
	// a unit's included.
	b := st.activeUserIn("jia.user", jixiao.RoleScorer, "DEPT-A")
	var list struct {
		Items []jixiao.Project `json:"items"`
	}
	st.do(request{method: http.MethodGet, path: "/api/v1/projects?year=2024", header: b.header(nil)}).want(t, http.StatusOK).decode(t, &list)
	var ids []string
	for _, it := range list.Items {
		ids = append(ids, it.ID)
	}
	if strings.Join(ids, ",") != "JA-1,JA-2" {
		t.Errorf("a 甲局 user sees %v", ids)
	}
	// Moved to 乙局 by an admin, the user's session ends.
	var users struct {
		Items []jixiao.User `json:"items"`
	}
	st.get(jixiao.RoleAdmin, "/api/v1/users").want(t, http.StatusOK).decode(t, &users)
	st.do(request{method: http.MethodPatch, path: "/api/v1/users/" + itoa(users.Items[0].ID), role: jixiao.RoleAdmin, ctype: "application/json",
		body: []byte(`{"department_code": "DEPT-B"}`)}).want(t, http.StatusOK)
	st.do(request{method: http.MethodGet, path: "/api/v1/projects", header: b.header(nil)}).problem(t, http.StatusUnauthorized, jixiao.EUNAUTHORIZED)
}

// activeUserIn is activeUser for a user of a department.
func (st *stack) activeUserIn(name, role, department string) browser {
	st.t.Helper()
	var out struct {
		Password string `json:"password"`
	}
	st.postJSON(jixiao.RoleAdmin, "/api/v1/users", map[string]string{"name": name, "role": role, "department_code": department}).
		want(st.t, http.StatusCreated).decode(st.t, &out)
	_, b := st.login(name, out.Password)
	var s sessionAnswer
	res := st.do(request{method: http.MethodPut, path: "/api/v1/session/password", ctype: "application/json",
		body: jsonBody(st.t, map[string]string{"current_password": out.Password, "new_password": name + "-的密码-123"}), header: b.header(nil)})
	res.want(st.t, http.StatusOK).decode(st.t, &s)
	return browser{cookie: sessionCookieOf(st.t, res), csrf: s.CSRFToken}
}
