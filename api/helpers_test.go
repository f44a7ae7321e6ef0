package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/api"
	"jixiao/demo"
	"jixiao/evaluation"
	"jixiao/passwords"
	"jixiao/registry"
	"jixiao/storage"
	"jixiao/storage/storagetest"
)

func init() {
	gin.SetMode(gin.TestMode)
	// A YAML body (a rule file) is text to the spec: its schema is a
	// string, which is what clients send and receive.
	for _, ct := range []string{"application/yaml", "text/yaml"} {
		openapi3filter.RegisterBodyDecoder(ct, yamlText)
	}
}

func yamlText(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	data, err := io.ReadAll(body)
	return string(data), err
}

// validation leaves the schema and value dumps out of schema errors, which
// would bury the place and the reason.
func validation(o openapi3filter.Options) *openapi3filter.Options {
	o.MultiError = true
	o.SchemaValidationOptions = []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}
	return &o
}

// The spec is loaded once for every test.
var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

func loadSpec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		specDoc, specErr = loader.LoadFromData(api.OpenAPISpec())
		if specErr != nil {
			return
		}
		if specErr = specDoc.Validate(loader.Context, openapi3.EnableExamplesValidation()); specErr != nil {
			return
		}
		specRouter, specErr = gorillamux.NewRouter(specDoc)
	})
	if specErr != nil {
		t.Fatalf("openapi.yaml: %v", specErr)
	}
	return specDoc, specRouter
}

// stack is the real service over a temporary SQLite file and rules
// directory, with an API key of each role.
type stack struct {
	t       *testing.T
	srv     *api.Server
	handler http.Handler
	store   *storage.DB
	rules   *registry.Registry
	metrics *api.Metrics
	evals   *evaluation.Service
	dir     string // the rules directory
	dbPath  string // the SQLite file, or the PostgreSQL URL
	keys    map[string]string
	keyIDs  map[string]int64
	host    string // of the requests: a loopback one for a server without keys
}

// fastPasswords hashes with tiny argon2id costs: tests log in often.
var fastPasswords = passwords.New(passwords.Params{Memory: 64, Time: 1, Threads: 1}, 4)

// config is what a test may change before the stack is built.
type config struct {
	opts       api.Options
	chunkSize  int
	noRulesDir bool      // built-in rule sets only: uploads are impossible
	notLoaded  bool      // the rule files are not loaded yet, as at start-up
	logs       io.Writer // where the service logs, at debug level; nil: nowhere
}

func newStack(t *testing.T, changes ...func(*config)) *stack {
	t.Helper()
	loadSpec(t)
	ctx := context.Background()
	tmp := t.TempDir()
	dbPath := filepath.Join(tmp, "jixiao.db")
	if os.Getenv(stackDBEnv) == "postgres" {
		dbPath = storagetest.PostgresURL(t)
	}
	store, err := storage.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "rules")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := config{}
	for _, change := range changes {
		change(&cfg)
	}
	if cfg.noRulesDir {
		dir = ""
	}
	if cfg.opts.Passwords == nil {
		cfg.opts.Passwords = fastPasswords // the same format and checks, quickly
	}
	if cfg.logs == nil {
		cfg.logs = io.Discard
	}
	logger := slog.New(slog.NewTextHandler(cfg.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	metrics := api.NewMetrics()
	// As cmd/jixiao wires it: every activation is stored, marked and
	// audited, and shows in the metrics.
	open := registry.New
	if cfg.notLoaded {
		open = registry.Open
	}
	regOpts := registry.Options{
		Dir:          dir,
		Logger:       logger,
		PollInterval: -1,
		OnActivate:   api.RecordActivation(store, metrics, logger),
		OnReload:     metrics.Reloaded,
	}
	postgres := storage.IsPostgresURL(dbPath)
	if postgres { // as serve wires it
		regOpts.Shared = store.ActiveRuleSets
		regOpts.OnAdopt = func(v jixiao.RuleSetVersion) { metrics.Activated(v.RuleSetID, v.Version, v.Hash) }
	}
	reg, err := open(regOpts)
	if err != nil {
		t.Fatal(err)
	}
	if postgres {
		listenCtx, stopListening := context.WithCancel(context.Background())
		listened := make(chan struct{})
		go func() {
			defer close(listened)
			store.ListenRuleSets(listenCtx, func(ctx context.Context) { reg.Sync(ctx) }, nil)
		}()
		// Runs after the store is closed (cleanups run last first): the
		// listener has a connection of its own.
		t.Cleanup(func() { stopListening(); <-listened })
		for deadline := time.Now().Add(30 * time.Second); !store.Listening(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the rule-set listener did not connect")
			}
		}
	}
	cfg.opts.Store, cfg.opts.Rules, cfg.opts.Logger, cfg.opts.Metrics = store, reg, logger, metrics
	evals := &evaluation.Service{Store: store, Logger: logger, ChunkSize: cfg.chunkSize, Workers: 2, OnScored: metrics.Scored}
	cfg.opts.Evaluations = evals
	srv := api.New(cfg.opts)
	st := &stack{t: t, srv: srv, handler: srv.Handler(), store: store, rules: reg, metrics: metrics, evals: evals, dir: dir, dbPath: dbPath,
		keys: map[string]string{}, keyIDs: map[string]int64{}, host: "jixiao.test"}
	if cfg.opts.AuthOff {
		st.host = "127.0.0.1:8080"
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		store.Close()
	})
	for _, role := range []string{jixiao.RoleViewer, jixiao.RoleScorer, jixiao.RoleReviewer, jixiao.RoleAdmin} {
		st.keys[role], st.keyIDs[role] = st.newKey(role+"-key", role)
	}
	return st
}

// sub returns the stack for a subtest.
func (st *stack) sub(t *testing.T) *stack {
	c := *st
	c.t = t
	return &c
}

// newKey stores a key directly and returns its secret and id.
func (st *stack) newKey(name, role string) (string, int64) {
	st.t.Helper()
	secret, key := jixiao.NewAPIKey(name, role, time.Now())
	if err := st.store.CreateAPIKey(context.Background(), &key); err != nil {
		st.t.Fatal(err)
	}
	return secret, key.ID
}

// request is one call of the API. role picks the key sent; auth, when
// set, is sent as the Authorization header instead.
type request struct {
	method  string
	path    string
	role    string
	auth    string
	body    []byte
	ctype   string
	chunked bool // no Content-Length: the body is sent in chunks
	header  map[string]string
	// specInvalid marks a request that breaks the spec on purpose; the
	// spec must then refuse it too. Every other request must pass it.
	specInvalid bool
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) String() string {
	return fmt.Sprintf("%d %s", r.status, truncate(string(r.body), 2000))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName == "cookieAuth" {
		if _, err := in.RequestValidationInput.Request.Cookie("jixiao_session"); err != nil {
			return errors.New("no session cookie")
		}
		return nil
	}
	scheme, token, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

func (st *stack) newHTTPRequest(r request) *http.Request {
	req := httptest.NewRequest(r.method, "http://"+st.host+r.path, bytes.NewReader(r.body))
	if r.body == nil {
		req = httptest.NewRequest(r.method, "http://"+st.host+r.path, nil)
	}
	if r.chunked {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
		req.Body = io.NopCloser(bytes.NewReader(r.body))
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	switch {
	case r.auth != "":
		req.Header.Set("Authorization", r.auth)
	case r.role != "":
		secret, ok := st.keys[r.role]
		if !ok {
			st.t.Fatalf("no key for role %q", r.role)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	return req
}

// do serves r through the router, checking the request and the response
// against the spec.
func (st *stack) do(r request) *response {
	t := st.t
	t.Helper()
	_, router := loadSpec(t)
	ctx := context.Background()
	what := r.method + " " + r.path

	vreq := st.newHTTPRequest(r)
	route, params, routeErr := router.FindRoute(vreq)
	var in *openapi3filter.RequestValidationInput
	if routeErr == nil {
		in = &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: validation(openapi3filter.Options{AuthenticationFunc: authenticate})}
		err := openapi3filter.ValidateRequest(ctx, in)
		switch {
		case r.specInvalid && err == nil:
			t.Errorf("%s: the spec accepts a request the test sends as breaking it", what)
		case !r.specInvalid && err != nil:
			t.Errorf("%s: the request does not follow the spec: %v", what, err)
		}
	} else if !r.specInvalid {
		t.Errorf("%s: not in the spec: %v", what, routeErr)
	}

	rec := httptest.NewRecorder()
	st.handler.ServeHTTP(rec, st.newHTTPRequest(r))
	res := &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}

	if id := res.header.Get("X-Request-Id"); id == "" || len(id) > 64 {
		t.Errorf("%s: X-Request-Id %q", what, id)
	}
	if routeErr != nil {
		// Not an operation of the spec: the answer is still a problem.
		st.checkProblem(what, res)
		return res
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.status, Header: res.header,
		Body: io.NopCloser(bytes.NewReader(res.body)), Options: validation(openapi3filter.Options{IncludeResponseStatus: true})}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s: the response does not follow the spec: %v\n%s", what, err, res)
	}
	if spec := route.Operation.Responses.Status(res.status); spec != nil && len(spec.Value.Content) == 0 && len(res.body) > 0 {
		t.Errorf("%s: the spec gives %d no body, but it has one: %s", what, res.status, res)
	}
	if res.status >= 400 {
		st.checkProblem(what, res)
	}
	return res
}

// checkProblem checks that res is a problem document.
func (st *stack) checkProblem(what string, res *response) {
	st.t.Helper()
	doc, _ := loadSpec(st.t)
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		st.t.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	var v any
	if err := json.Unmarshal(res.body, &v); err != nil {
		st.t.Errorf("%s: problem body: %v: %s", what, err, res)
		return
	}
	if err := doc.Components.Schemas["Problem"].Value.VisitJSON(v, openapi3.DisableSchemaErrorDetails()); err != nil {
		st.t.Errorf("%s: not a Problem: %v\n%s", what, err, res)
	}
}

func (st *stack) get(role, path string) *response {
	st.t.Helper()
	return st.do(request{method: http.MethodGet, path: path, role: role})
}

// postJSON sends v as JSON: []byte and string are sent as they are.
func (st *stack) postJSON(role, path string, v any) *response {
	st.t.Helper()
	return st.do(request{method: http.MethodPost, path: path, role: role, body: jsonBody(st.t, v), ctype: "application/json"})
}

func jsonBody(t testing.TB, v any) []byte {
	t.Helper()
	switch b := v.(type) {
	case []byte:
		return b
	case string:
		return []byte(b)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// want fails the test unless res has the given status.
func (res *response) want(t testing.TB, status int) *response {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d: %s", res.status, status, res)
	}
	return res
}

// decode decodes the JSON body into v.
func (res *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(res.body, v); err != nil {
		t.Fatalf("decoding %s: %v", res, err)
	}
}

// problem is a problem document as the tests read it.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Instance  string              `json:"instance"`
	Code      string              `json:"code"`
	Errors    []jixiao.FieldError `json:"errors"`
	RequestID string              `json:"request_id"`
}

// problem checks that res is a problem of the given status and code and
// returns it.
func (res *response) problem(t testing.TB, status int, code string) problem {
	t.Helper()
	res.want(t, status)
	var p problem
	res.decode(t, &p)
	if p.Status != status || p.Code != code || p.Type != "urn:jixiao:problem:"+code || p.Title == "" || p.RequestID == "" {
		t.Fatalf("problem %+v, want status %d and code %s", p, status, code)
	}
	if p.RequestID != res.header.Get("X-Request-Id") {
		t.Errorf("request_id %q, header %q", p.RequestID, res.header.Get("X-Request-Id"))
	}
	return p
}

// hasError fails unless the problem has a detail with the given
// project and field whose message contains msg.
func (p problem) hasError(t testing.TB, project, field, msg string) {
	t.Helper()
	for _, e := range p.Errors {
		if e.Project == project && e.Field == field && strings.Contains(e.Message, msg) {
			return
		}
	}
	t.Errorf("no error {project %q, field %q, message ~%q} in %+v", project, field, msg, p.Errors)
}

// counts is how much the store holds.
type counts struct {
	Projects, Runs, Scores, Scenarios, Keys, Audit, Versions int
}

func (st *stack) counts() counts {
	st.t.Helper()
	ctx := context.Background()
	var c counts
	var err error
	check := func(e error) {
		if e != nil && err == nil {
			err = e
		}
	}
	_, c.Projects, err = st.store.FindProjects(ctx, jixiao.ProjectFilter{Limit: 1})
	_, n, e := st.store.FindRuns(ctx, "", 0, 1)
	c.Runs = n
	check(e)
	_, c.Scores, e = st.store.FindScores(ctx, jixiao.ScoreFilter{Limit: 1})
	check(e)
	_, c.Scenarios, e = st.store.FindScenarios(ctx, 0, 1)
	check(e)
	keys, e := st.store.FindAPIKeys(ctx)
	c.Keys = len(keys)
	check(e)
	_, c.Audit, e = st.store.FindAudit(ctx, 0, 1)
	check(e)
	versions, e := st.store.FindRuleSetVersions(ctx, "")
	c.Versions = len(versions)
	check(e)
	if err != nil {
		st.t.Fatal(err)
	}
	return c
}

// unchanged runs fn and fails if it changed what the store holds.
func (st *stack) unchanged(fn func()) {
	st.t.Helper()
	before := st.counts()
	fn()
	if after := st.counts(); after != before {
		st.t.Errorf("a failed request changed the store: before %+v, after %+v", before, after)
	}
}

// seedHuaihua imports the 26 Huaihua projects.
func (st *stack) seedHuaihua() {
	st.t.Helper()
	var up jixiao.Upserted
	st.postJSON(jixiao.RoleScorer, "/api/v1/projects", demo.HuaihuaJSON()).want(st.t, http.StatusOK).decode(st.t, &up)
	if up.Created+up.Updated+up.Unchanged != 26 {
		st.t.Fatalf("seeding: %+v", up)
	}
}

// evaluationResult is a created evaluation as the tests read it.
type evaluationResult struct {
	Run      jixiao.Run            `json:"run"`
	Results  []jixiao.ScoreRecord  `json:"results"`
	Rejected []jixiao.RunRejection `json:"rejected"`
}

var allStatuses = []string{jixiao.StatusDraft, jixiao.StatusSubmitted, jixiao.StatusApproved, jixiao.StatusReturned}

// evaluate runs an official evaluation and expects it done at once. A
// stored selection scores every status, unless req names them: most
// tests' projects are the bureau's own data, never reviewed
// (TestEvaluationStatuses tests the default, approved ones only).
func (st *stack) evaluate(req any) evaluationResult {
	st.t.Helper()
	if m, ok := req.(map[string]any); ok && m["projects"] == nil && m["statuses"] == nil && m["include_submitted"] == nil {
		m["statuses"] = allStatuses
	}
	var out evaluationResult
	st.postJSON(jixiao.RoleScorer, "/api/v1/evaluations", req).want(st.t, http.StatusCreated).decode(st.t, &out)
	return out
}

// waitRun polls a run until it is no longer running.
func (st *stack) waitRun(id int64) jixiao.Run {
	st.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var run jixiao.Run
		st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/evaluations/%d", id)).want(st.t, http.StatusOK).decode(st.t, &run)
		if run.Status != jixiao.RunRunning {
			return run
		}
		if time.Now().After(deadline) {
			st.t.Fatalf("run %d still running", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// huaihuaIDs returns the ids of the Huaihua projects.
func huaihuaIDs() []string {
	var ids []string
	for _, p := range demo.Huaihua() {
		ids = append(ids, p.ID)
	}
	return ids
}

// project is a small valid inline project.
func project(id string, spent float64) map[string]any {
	return map[string]any{
		"id": id, "name": "测试项目 " + id, "department": "测试局", "year": 2024,
		"budget_adjusted": 100000, "spent": spent,
		"indicators": []map[string]any{
			{"level1": "产出指标", "level2": "数量指标", "name": "数量", "direction": ">=", "target": 10, "actual": 10},
			{"level1": "效益指标", "level2": "社会效益指标", "name": "效益", "direction": "qualitative", "rating": "达成"},
			{"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "满意度", "direction": ">=", "target": 90, "actual": 95},
		},
	}
}

// jsonRoundTrip marshals v and unmarshals it into out.
func jsonRoundTrip(t testing.TB, v, out any) {
	t.Helper()
	if err := json.Unmarshal(jsonBody(t, v), out); err != nil {
		t.Fatal(err)
	}
}

// stackDBEnv selects the database of newStack: unset, an SQLite file;
// "postgres", a schema of the PostgreSQL test server. TestMain runs the
// suite with each.
const stackDBEnv = "JIXIAO_API_TEST_DB"

// TestMain runs every test of the package on SQLite, then once more on
// PostgreSQL, in a child process of this test binary with the same flags,
// when the test server is there (storagetest). Without it the second pass
// is skipped with a message, except under CI=true, where that fails.
func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 || os.Getenv(stackDBEnv) != "" {
		os.Exit(code)
	}
	if os.Getenv(storagetest.EnvURL) == "" {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "the API tests on PostgreSQL cannot run under CI=true: %s is not set\n", storagetest.EnvURL)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "API tests on PostgreSQL skipped: set %s (see .ci/postgres)\n", storagetest.EnvURL)
		os.Exit(code)
	}
	fmt.Fprintln(os.Stderr, "the API tests again, on PostgreSQL:")
	child := exec.Command(os.Args[0], os.Args[1:]...)
	child.Env = append(os.Environ(), stackDBEnv+"=postgres")
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	if err := child.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "on PostgreSQL:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// rawExec runs a statement on the stack's database without the store,
// for a test that must put the database in a state the API cannot; ?
// placeholders, on either database.
func (st *stack) rawExec(t *testing.T, query string, args ...any) {
	t.Helper()
	driver, dsn := "sqlite3", st.dbPath+"?_busy_timeout=5000"
	if storage.IsPostgresURL(st.dbPath) {
		driver, dsn = "pgx", st.dbPath
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", "$"+strconv.Itoa(i), 1)
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}
