package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/api"
	"jixiao/demo"
	"jixiao/engine"
	"jixiao/evaluation"
	"jixiao/passwords"
	"jixiao/registry"
	"jixiao/storage"
	"jixiao/web"
)

// takeOverEvery is how often an instance on PostgreSQL looks for runs
// with chunks nobody holds.
const takeOverEvery = 2 * time.Second

// A shutdown waits up to requestsTimeout for the requests in flight, then
// up to jobsTimeout for the evaluations to reach a chunk boundary.
var (
	requestsTimeout = 30 * time.Second
	jobsTimeout     = 30 * time.Second
)

// dbUsage describes every verb's --db flag.
const dbUsage = "SQLite database file (created if missing) or postgres:// URL; default $JIXIAO_DB, else jixiao.db"

// defaultDB is --db when it is not given.
func defaultDB() string {
	if db := os.Getenv("JIXIAO_DB"); db != "" {
		return db
	}
	return "jixiao.db"
}

// serveConfig is what the serve verb's flags set.
type serveConfig struct {
	addr         string
	db           string
	rulesDir     string
	defaultRules string
	demo         bool
	auth         string
	workers      int
	maxBody      int64
}

func runServe(ctx context.Context, s *streams, args []string) int {
	fs := newFlagSet(s, "serve", "jixiao serve [--addr :8080] [--db jixiao.db] [--rules-dir DIR] [--demo] [--auth on|off]")
	var cfg serveConfig
	fs.StringVar(&cfg.addr, "addr", ":8080", "listen address")
	fs.StringVar(&cfg.db, "db", defaultDB(), dbUsage)
	fs.StringVar(&cfg.rulesDir, "rules-dir", "jixiao-rules", "directory of rule files, watched for changes and created if missing; a file with a built-in's id replaces it (\"\" for built-ins only)")
	fs.StringVar(&cfg.defaultRules, "default-rules", "cn-mof-2020-self", "rule set used when a request names none")
	fs.BoolVar(&cfg.demo, "demo", false, "load and score the Huaihua 2024 sample projects (idempotent)")
	fs.StringVar(&cfg.auth, "auth", "on", "on, or off for a local demo on a loopback address only")
	fs.IntVar(&cfg.workers, "workers", 0, "scoring goroutines (0: one per core)")
	fs.Int64Var(&cfg.maxBody, "max-body", 32<<20, "request body limit in bytes")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(pos) > 0 {
		return usageError(fs, "serve takes no arguments, got %q", pos)
	}
	if err := cfg.check(); err != nil {
		return usageError(fs, "%v", err)
	}
	logger := slog.New(slog.NewJSONHandler(s.stderr, nil))
	if err := serve(ctx, cfg, s, logger); err != nil {
		logger.Error("serve", "error", err)
		return exitUsage
	}
	return exitOK
}

func (c serveConfig) check() error {
	switch c.auth {
	case "on":
	case "off":
		if !api.LoopbackHost(c.addr) {
			return fmt.Errorf("--auth off is allowed only on a loopback address such as 127.0.0.1:8080, not %q", c.addr)
		}
	default:
		return fmt.Errorf("--auth must be on or off, got %q", c.auth)
	}
	return nil
}

func serve(ctx context.Context, cfg serveConfig, s *streams, logger *slog.Logger) error {
	if !storage.IsPostgresURL(cfg.db) {
		lock, err := lockDatabase(cfg.db, cfg.addr)
		if err != nil {
			return err
		}
		defer lock.release()
	}
	// The port first: a start that cannot listen stops before it creates a
	// database or an admin key that nobody would see.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (choose another port with --addr 127.0.0.1:PORT)", cfg.addr, err)
	}
	listening := false
	defer func() {
		if !listening {
			ln.Close()
		}
	}()
	store, err := storage.Open(ctx, cfg.db)
	if err != nil {
		return fmt.Errorf("opening %s: %w", storage.DisplayName(cfg.db), err)
	}
	defer store.Close()
	// On SQLite this is the only process: a run still marked running was
	// cut short by a crash. On PostgreSQL other instances may be working
	// on it; chunks left by a dead one are taken over when their leases
	// end.
	shared := storage.IsPostgresURL(cfg.db)
	if !shared {
		if n, err := store.InterruptRunningRuns(ctx, time.Now().UTC()); err != nil {
			return err
		} else if n > 0 {
			logger.Warn("runs left running by an earlier process are marked interrupted; resume them with POST /api/v1/evaluations/{id}/resume", "runs", n)
		}
	}

	if cfg.rulesDir != "" {
		if err := os.MkdirAll(cfg.rulesDir, 0o755); err != nil {
			return fmt.Errorf("rules directory: %w", err)
		}
	}
	metrics := api.NewMetrics()
	// The built-ins now; the rule files in the background, after the
	// listener is up: /readyz says not ready until they are active, and a
	// SIGTERM stops their checks.
	regOpts := registry.Options{
		Dir:        cfg.rulesDir,
		Logger:     logger,
		OnActivate: api.RecordActivation(store, metrics, logger),
		OnReload:   metrics.Reloaded,
		LastGood: func(path, id string) (jixiao.RuleSetVersion, bool) {
			return lastActive(ctx, store, path, id, logger)
		},
	}
	if shared {
		// The database holds the active versions: an activation on any
		// instance is active on all.
		regOpts.Shared = store.ActiveRuleSets
		regOpts.OnAdopt = func(v jixiao.RuleSetVersion) { metrics.Activated(v.RuleSetID, v.Version, v.Hash) }
	}
	reg, err := registry.Open(regOpts)
	if err != nil {
		return err
	}

	if cfg.auth == "on" {
		if err := bootstrapKey(ctx, store, s, cfg.db); err != nil {
			return err
		}
		if cfg.demo {
			if err := demoLogin(ctx, store, s); err != nil {
				return err
			}
		}
	}
	evals := &evaluation.Service{Store: store, Logger: logger, Workers: cfg.workers, OnScored: metrics.Scored, Shared: shared}

	// Start-up in the background: the rule files, then the demo data, then
	// watching the rules directory. The watcher stores the versions it
	// activates: it stops before the store is closed.
	var startup startupState
	startup.set(errors.New("规则文件正在加载"))
	startFailed := make(chan error, 1)
	regCtx, stopReg := context.WithCancel(ctx)
	regDone := make(chan struct{})
	go func() {
		defer close(regDone)
		if err := startUp(regCtx, cfg, store, reg, evals, metrics, &startup, logger); err != nil {
			if regCtx.Err() == nil {
				startFailed <- err
			}
			return
		}
		if err := reg.Run(regCtx); err != nil {
			logger.Error("rule watcher", "error", err)
		}
	}()
	defer func() { stopReg(); <-regDone }()
	// Other instances' activations, as PostgreSQL notifies them.
	listenDone := make(chan struct{})
	go func() {
		defer close(listenDone)
		err := store.ListenRuleSets(regCtx, func(ctx context.Context) {
			if err := reg.Sync(ctx); err != nil && ctx.Err() == nil {
				logger.Error("taking the rule sets activated on other instances", "error", err)
			}
		}, func(err error) { logger.Warn("rule-set listener", "error", err) })
		if err != nil {
			logger.Error("rule-set listener stopped", "error", err)
		}
	}()
	defer func() { stopReg(); <-listenDone }()

	gin.SetMode(gin.ReleaseMode)
	srvOpts := api.Options{
		Store: store, Rules: reg, Evaluations: evals, Logger: logger,
		DefaultRules: cfg.defaultRules, AuthOff: cfg.auth == "off", MaxBodyBytes: cfg.maxBody, Metrics: metrics,
		Starting: startup.get,
	}
	if shared {
		srvOpts.SharedRuns = takeOverEvery
	}
	srv := api.New(srvOpts)
	web.Mount(srv.Router())
	httpServer := &http.Server{
		Addr:              cfg.addr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute, // big CSV exports stream for a while
		IdleTimeout:       2 * time.Minute,
	}
	listening = true
	logger.Info("listening", "addr", ln.Addr().String(), "db", storage.DisplayName(cfg.db), "rules_dir", cfg.rulesDir, "auth", cfg.auth)
	fmt.Fprintf(s.stdout, "jixiao is serving on http://%s (database %s)\n", displayAddr(ln.Addr()), storage.DisplayName(cfg.db))

	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case err := <-startFailed:
		_ = httpServer.Close()
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight and stopping evaluations at a chunk boundary")
	httpCtx, cancelHTTP := context.WithTimeout(context.Background(), requestsTimeout)
	defer cancelHTTP()
	err = httpServer.Shutdown(httpCtx)
	if err != nil {
		// Requests still running after the timeout are cut off: their
		// contexts end with their connections.
		logger.Warn("requests still running at the shutdown timeout are cut off", "timeout", requestsTimeout, "error", err)
		_ = httpServer.Close()
	}
	// The evaluations have a timeout of their own: a slow client must not
	// keep them from reaching a chunk boundary and being marked
	// interrupted before the store is closed.
	jobsCtx, cancelJobs := context.WithTimeout(context.Background(), jobsTimeout)
	defer cancelJobs()
	if jobsErr := srv.Shutdown(jobsCtx); jobsErr != nil {
		err = errors.Join(err, fmt.Errorf("evaluations still running at the shutdown timeout: %w", jobsErr))
	}
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		logger.Info("stopped")
		return nil
	}
	return err
}

// startupState is what start-up still has to do, for /readyz: nil once
// it is done.
type startupState struct{ pending atomic.Pointer[error] }

func (st *startupState) set(err error) { st.pending.Store(&err) }

func (st *startupState) get() error {
	if p := st.pending.Load(); p != nil {
		return *p
	}
	return nil
}

// startUp loads the rule files and then the demo data, if asked for. An
// error ends the service, as a failure before listening would.
func startUp(ctx context.Context, cfg serveConfig, store jixiao.Store, reg *registry.Registry, evals *evaluation.Service, metrics *api.Metrics, st *startupState, logger *slog.Logger) error {
	began := time.Now()
	if err := reg.Load(ctx); err != nil {
		return fmt.Errorf("loading the rule files: %w", err)
	}
	metrics.RulesLoaded(reg.Status())
	if _, ok := reg.Snapshot().Get(cfg.defaultRules); !ok {
		return fmt.Errorf("--default-rules %q is not a loaded rule set", cfg.defaultRules)
	}
	logger.Info("rule sets loaded", "rulesets", len(reg.Snapshot().IDs()), "took", time.Since(began).Round(time.Millisecond))
	if cfg.demo {
		st.set(errors.New("示例数据正在加载"))
		if err := loadDemo(ctx, store, reg, evals, cfg.defaultRules, logger); err != nil {
			return fmt.Errorf("loading the demo data: %w", err)
		}
	}
	st.set(nil)
	logger.Info("ready")
	return nil
}

// lastActive is the version of rule set id that was active last, when it
// came from the file at path: what that file held when it was last good.
func lastActive(ctx context.Context, store jixiao.Store, path, id string, logger *slog.Logger) (jixiao.RuleSetVersion, bool) {
	versions, err := store.FindRuleSetVersions(ctx, id)
	if err != nil {
		logger.Error("reading the stored versions of a rule set", "ruleset", id, "error", err)
		return jixiao.RuleSetVersion{}, false
	}
	var last *jixiao.RuleSetVersion
	for i := range versions {
		v := &versions[i]
		if v.ActivatedAt != nil && (last == nil || v.ActivatedAt.After(*last.ActivatedAt)) {
			last = v
		}
	}
	if last == nil || last.Source == jixiao.SourceBuiltin || last.Path != path {
		return jixiao.RuleSetVersion{}, false
	}
	return *last, true
}

func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return a.String()
}

// bootstrapKey prints one admin key on the first start, when no key
// exists, so that the bureau can create the others.
func bootstrapKey(ctx context.Context, store jixiao.Store, s *streams, db string) error {
	n, err := store.CountAPIKeys(ctx)
	if err != nil || n > 0 {
		return err
	}
	secret, key := jixiao.NewAPIKey("bootstrap-admin", jixiao.RoleAdmin, time.Now())
	if err := store.CreateAPIKey(ctx, &key); err != nil {
		return err
	}
	_ = store.AddAudit(ctx, jixiao.AuditEntry{At: time.Now().UTC(), Actor: "system", Action: "key.create", Subject: key.Name, Detail: []byte(`{"role":"admin","bootstrap":true}`)})
	fmt.Fprintf(s.stdout, "No API keys yet: created an admin key. It is shown only this once:\n\n    %s\n\n", secret)
	fmt.Fprintf(s.stdout, "More keys, or a new admin key if this one is lost: jixiao keys create --role admin --db %s\n", storage.DisplayName(db))
	return nil
}

// demoLogin makes, on a database without users, two logins to the web
// interface with passwords printed once: a bureau admin, and a scorer of
// the department whose projects the demo loads. They are a demo's logins:
// no change of password is asked for.
func demoLogin(ctx context.Context, store jixiao.Store, s *streams) error {
	n, err := store.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	dept := jixiao.Department{Code: demoDepartmentCode, Name: demo.Huaihua()[0].Department}
	if err := store.CreateDepartment(ctx, &dept); err != nil && jixiao.ErrorCode(err) != jixiao.ECONFLICT {
		return err
	}
	hasher := passwords.New(passwords.Recommended, 1)
	fmt.Fprintf(s.stdout, "Demo logins for the web interface, shown only this once:\n\n")
	for _, u := range []jixiao.User{
		{Name: "demo.bureau", DisplayName: "财政局（演示）", Role: jixiao.RoleAdmin},
		{Name: "demo.dept", DisplayName: dept.Name + "（演示）", Role: jixiao.RoleScorer, Department: dept.Code},
	} {
		password, hash, err := hasher.Temporary(ctx)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		if err := store.CreateUser(ctx, &u); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"role": u.Role, "department_code": u.Department, "demo": true})
		_ = store.AddAudit(ctx, jixiao.AuditEntry{At: time.Now().UTC(), Actor: "system", Action: "user.create", Subject: u.Name, Detail: detail})
		fmt.Fprintf(s.stdout, "    %s  用户名 %s  密码 %s\n", u.DisplayName, u.Name, password)
	}
	fmt.Fprintln(s.stdout)
	return nil
}

// demoDepartmentCode is the code the demo gives the department of its
// projects.
const demoDepartmentCode = "HHGJJ"

// approveDemo submits and approves the demo projects still in draft (or
// submitted), as their department and the bureau would, so that the
// official evaluation scores them.
func approveDemo(ctx context.Context, store jixiao.Store, year int) error {
	stored, _, err := store.FindProjects(ctx, jixiao.ProjectFilter{Year: year, Statuses: []string{jixiao.StatusDraft, jixiao.StatusSubmitted, jixiao.StatusReturned}})
	if err != nil {
		return err
	}
	for _, sp := range stored {
		if sp.Status != jixiao.StatusSubmitted {
			if _, err := store.Review(ctx, year, sp.Project.ID, jixiao.Review{Action: jixiao.ReviewSubmit, Actor: "demo:department"}); err != nil {
				return err
			}
		}
		_, err := store.Review(ctx, year, sp.Project.ID, jixiao.Review{Action: jixiao.ReviewApprove, InputHash: sp.InputHash, Actor: "demo:bureau"})
		if err != nil {
			return err
		}
	}
	return nil
}

// loadDemo stores the Huaihua projects and scores officially, with the
// default rules, those that have no score yet from this rule-set version
// for their current input. Starting again on the same database adds
// nothing: no project, no run, no score.
func loadDemo(ctx context.Context, store jixiao.Store, reg *registry.Registry, evals *evaluation.Service, rulesID string, logger *slog.Logger) error {
	projects := demo.Huaihua()
	counts, err := store.UpsertProjects(ctx, projects)
	if err != nil {
		return err
	}
	rs, _ := reg.Snapshot().Get(rulesID)
	year := projects[0].Year
	if err := approveDemo(ctx, store, year); err != nil {
		return err
	}
	var ids []string
	for _, p := range projects {
		scored, err := hasScore(ctx, store, p.Year, p.ID, rs.Ref())
		if err != nil {
			return err
		}
		if !scored {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		logger.Info("demo data already loaded and scored", "projects", len(projects), "ruleset", rulesID)
		return nil
	}
	run, err := evals.Start(ctx, rs, evaluation.Selection{ProjectIDs: ids, Year: year, Statuses: []string{jixiao.StatusApproved}}, "demo")
	if err != nil {
		return err
	}
	if err := evals.Execute(ctx, run, rs); err != nil {
		return err
	}
	logger.Info("demo data loaded and scored", "projects", len(projects), "created", counts.Created, "scored", len(ids), "run", run.ID, "ruleset", rulesID)
	return nil
}

// hasScore reports whether the stored project has a score from rule-set
// version ref and this engine for its current input, whichever run stored
// it and whatever runs came after.
func hasScore(ctx context.Context, store jixiao.Store, year int, id string, ref jixiao.RuleSetRef) (bool, error) {
	sp, err := store.FindProject(ctx, year, id)
	if err != nil {
		return false, err
	}
	scores, _, err := store.FindScores(ctx, jixiao.ScoreFilter{ProjectID: id, Year: year, RuleSetID: ref.ID})
	if err != nil {
		return false, err
	}
	for _, s := range scores {
		if s.RuleSetHash == ref.Hash && s.InputHash == sp.InputHash && s.EngineVersion == engine.Version {
			return true, nil
		}
	}
	return false, nil
}
