package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/api"
	"jixiao/demo"
	"jixiao/evaluation"
	"jixiao/registry"
	"jixiao/rules"
	"jixiao/storage"
	"jixiao/web"
)

// stack is the whole service in this process, over a temporary SQLite
// file and rules directory, with the Huaihua demo projects stored and
// officially scored, and an API key of each role.
type stack struct {
	url   string
	store *storage.DB
	keys  map[string]string // secret by role
	// dbPath is the SQLite file, for a test that changes what the API
	// cannot (a session's last activity).
	dbPath string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	gin.SetMode(gin.TestMode)
	ctx := context.Background()
	tmp := t.TempDir()
	store, err := storage.OpenSQLite(ctx, filepath.Join(tmp, "jixiao.db"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "rules")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// As cmd/jixiao wires it: every activation is stored and marked.
	reg, err := registry.New(registry.Options{
		Dir:          dir,
		Logger:       logger,
		PollInterval: -1,
		OnActivate:   api.RecordActivation(store, nil, logger),
	})
	if err != nil {
		t.Fatal(err)
	}
	evals := &evaluation.Service{Store: store, Logger: logger, Workers: 2}
	srv := api.New(api.Options{Store: store, Rules: reg, Evaluations: evals, Logger: logger})
	web.Mount(srv.Router())
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		store.Close()
	})

	// The demo data, scored officially as jixiao serve --demo does.
	projects := demo.Huaihua()
	if _, err := store.UpsertProjects(ctx, projects); err != nil {
		t.Fatal(err)
	}
	for _, p := range projects {
		state, err := store.Review(ctx, p.Year, p.ID, jixiao.Review{Action: jixiao.ReviewSubmit, Actor: "demo:department"})
		if err == nil {
			_, err = store.Review(ctx, p.Year, p.ID, jixiao.Review{Action: jixiao.ReviewApprove, InputHash: state.InputHash, Actor: "demo:bureau"})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	rs, ok := reg.Snapshot().Get("cn-mof-2020-self")
	if !ok {
		t.Fatal("no rule set cn-mof-2020-self")
	}
	run, err := evals.Start(ctx, rs, evaluation.Selection{Year: projects[0].Year, Statuses: []string{jixiao.StatusApproved}}, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if err := evals.Execute(ctx, run, rs); err != nil {
		t.Fatal(err)
	}

	st := &stack{url: ts.URL, store: store, keys: map[string]string{}, dbPath: filepath.Join(tmp, "jixiao.db")}
	for _, role := range []string{jixiao.RoleViewer, jixiao.RoleScorer, jixiao.RoleReviewer, jixiao.RoleAdmin} {
		secret, key := jixiao.NewAPIKey(role+"-key", role, time.Now())
		if err := store.CreateAPIKey(ctx, &key); err != nil {
			t.Fatal(err)
		}
		st.keys[role] = secret
	}
	return st
}

// call makes an API request with the key of role and returns the answer.
func (st *stack) call(t *testing.T, method, path, role string, body io.Reader, ctype string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, st.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+st.keys[role])
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, data
}

// builtinYAML is the rule file of a built-in rule set.
func builtinYAML(t *testing.T, id string) string {
	t.Helper()
	src, ok := rules.BuiltinByID(id)
	if !ok {
		t.Fatalf("no built-in %s", id)
	}
	return string(src.Data)
}

// edit replaces old by new in a rule file, exactly once.
func edit(t *testing.T, file, old, new string) string {
	t.Helper()
	if strings.Count(file, old) != 1 {
		t.Fatalf("%q is not in the rule file exactly once", old)
	}
	return strings.Replace(file, old, new, 1)
}

// lineOf is the line of the file where s starts.
func lineOf(file, s string) int {
	return 1 + strings.Count(file[:strings.Index(file, s)], "\n")
}
