// Package api is jixiao's HTTP API: batch scoring, stored results, rule
// sets and what-if simulations, over Gin. Handlers follow one shape:
// decode, validate, act, respond. Errors are RFC 9457 problem responses.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/evaluation"
	"jixiao/passwords"
	"jixiao/registry"
)

// Options configure a Server.
type Options struct {
	Store        jixiao.Store
	Rules        *registry.Registry
	Evaluations  *evaluation.Service
	Logger       *slog.Logger
	DefaultRules string // rule set used when a request names none
	AuthOff      bool   // only for local demos on a loopback address
	MaxBodyBytes int64  // request body limit; default 32 MiB
	SyncLimit    int    // evaluations up to this many projects answer synchronously; default 1000
	Metrics      *Metrics
	// MaxEvaluations and MaxSimulations bound the background evaluations
	// and the simulations over stored projects running at once; beyond
	// them a request is refused with 503 and Retry-After.
	// Default 2 each: each of them already uses every core.
	MaxEvaluations int
	MaxSimulations int
	// SharedRuns, when set, makes the server take over, every interval,
	// running official runs with chunks nobody holds: those of another
	// process on the same database that stopped or died, once their leases
	// have ended (PostgreSQL). They take evaluation slots like any other.
	SharedRuns time.Duration
	// Passwords hashes and checks people's passwords; by default argon2id
	// with passwords.Recommended, two at a time.
	Passwords *passwords.Hasher
	// SessionIdle and SessionMaxAge end a login session after so long
	// without a request, and so long after the login
	// (DefaultSessionIdle, DefaultSessionMaxAge when 0).
	SessionIdle, SessionMaxAge time.Duration
	// Starting, if set, tells whether start-up work other than loading the
	// rule files is still going on (loading the demo data): a non-nil
	// error, shown by /readyz, until it is done.
	Starting func() error
}

// Server holds the API's dependencies.
type Server struct {
	store         jixiao.Store
	rules         *registry.Registry
	evals         *evaluation.Service
	logger        *slog.Logger
	defaultRules  string
	authOff       bool
	maxBody       int64
	syncLimit     int
	metrics       *Metrics
	starting      func() error
	keys          *keyCache
	passwords     *passwords.Hasher
	addresses     addressThrottle
	sessionIdle   time.Duration
	sessionMaxAge time.Duration
	requestLog    *requestLog
	router        *gin.Engine

	// background evaluation jobs, waited for on shutdown
	jobsCtx    context.Context
	stopJobs   context.CancelFunc
	jobs       sync.WaitGroup
	jobsMu     sync.Mutex
	jobsActive map[int64]bool

	evaluations slots // one per evaluation running in the background
	simulations slots // one per simulation over stored projects
}

// slots bound how many of one kind of work run at once.
type slots chan struct{}

// take takes a slot if one is free.
func (sl slots) take() bool {
	select {
	case sl <- struct{}{}:
		return true
	default:
		return false
	}
}

func (sl slots) give() { <-sl }

// busy is the refusal when every slot of a kind of work is taken.
func (s *Server) busy(c *gin.Context, what string, n int) {
	c.Header("Retry-After", "30")
	s.fail(c, jixiao.Errorf(jixiao.EUNAVAILABLE, "已有 %d 个%s正在运行，请稍后再试", n, what))
}

// New builds the server and its routes.
func New(o Options) *Server {
	s := &Server{
		store:         o.Store,
		rules:         o.Rules,
		evals:         o.Evaluations,
		logger:        o.Logger,
		defaultRules:  o.DefaultRules,
		authOff:       o.AuthOff,
		maxBody:       o.MaxBodyBytes,
		syncLimit:     o.SyncLimit,
		metrics:       o.Metrics,
		starting:      o.Starting,
		passwords:     o.Passwords,
		sessionIdle:   o.SessionIdle,
		sessionMaxAge: o.SessionMaxAge,
		jobsActive:    map[int64]bool{},
		evaluations:   make(slots, max(o.MaxEvaluations, 0)),
		simulations:   make(slots, max(o.MaxSimulations, 0)),
	}
	if o.MaxEvaluations <= 0 {
		s.evaluations = make(slots, 2)
	}
	if o.MaxSimulations <= 0 {
		s.simulations = make(slots, 2)
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.defaultRules == "" {
		s.defaultRules = "cn-mof-2020-self"
	}
	if s.maxBody <= 0 {
		s.maxBody = 32 << 20
	}
	if s.syncLimit <= 0 {
		s.syncLimit = 1000
	}
	if s.passwords == nil {
		s.passwords = passwords.New(passwords.Recommended, 2)
	}
	if s.sessionIdle <= 0 {
		s.sessionIdle = DefaultSessionIdle
	}
	if s.sessionMaxAge <= 0 {
		s.sessionMaxAge = DefaultSessionMaxAge
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	if s.rules.Ready() {
		s.metrics.RulesLoaded(s.rules.Status())
	}
	s.requestLog = newRequestLog(s.logger.Handler(), requestLogQueue)
	s.keys = newKeyCache(func(ctx context.Context, hash string) (*jixiao.APIKey, error) {
		return s.store.FindAPIKeyByHash(ctx, hash)
	}, keyCacheTTL, keyCacheSize)
	s.jobsCtx, s.stopJobs = context.WithCancel(context.Background())
	s.router = s.routes()
	if o.SharedRuns > 0 {
		s.jobs.Add(1)
		go func() {
			defer s.jobs.Done()
			s.takeOverRuns(o.SharedRuns)
		}()
	}
	return s
}

// takeOverRuns starts, every interval until shutdown, the runs with
// chunks free to claim that this process is not executing, as evaluation
// slots allow.
func (s *Server) takeOverRuns(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.jobsCtx.Done():
			return
		case <-t.C:
		}
		ids, err := s.store.ClaimableRuns(s.jobsCtx, time.Now())
		if err != nil {
			if s.jobsCtx.Err() == nil {
				s.logger.Warn("looking for runs to take over", "error", err)
			}
			continue
		}
		for _, id := range ids {
			s.jobsMu.Lock()
			active := s.jobsActive[id]
			s.jobsMu.Unlock()
			if active {
				continue
			}
			run, err := s.store.FindRun(s.jobsCtx, id)
			if err != nil {
				s.logger.Warn("reading a run to take over", "run", id, "error", err)
				continue
			}
			rs, err := s.ruleSetByRef(s.jobsCtx, run.RuleSetHash)
			if err != nil {
				s.logger.Warn("the rule set of a run to take over", "run", id, "hash", run.RuleSetHash, "error", err)
				continue
			}
			if !s.evaluations.take() {
				break // busy: the next tick tries again
			}
			s.logger.Info("taking over the free chunks of a run", "run", id)
			if err := s.startJob(run, rs, true); err != nil {
				return // shutting down
			}
		}
	}
}

// Handler returns the HTTP handler.
//
// HEAD is answered on every GET route, as GET without the body: uptime
// checkers and load balancers probe with HEAD.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			s.router.ServeHTTP(w, r)
			return
		}
		// The response writer keeps the HEAD request, so net/http sends
		// the headers and drops the body.
		get := r.Clone(r.Context())
		get.Method = http.MethodGet
		s.router.ServeHTTP(headWriter{w}, get)
	})
}

// headWriter drops the body of a response to HEAD, whatever writer it is
// given (net/http's does that itself; a recorder in tests does not).
type headWriter struct{ http.ResponseWriter }

func (h headWriter) Write(p []byte) (int, error) { return len(p), nil }

func (h headWriter) WriteString(s string) (int, error) { return len(s), nil }

// Flush passes flushes on, for streamed responses.
func (h headWriter) Flush() {
	if f, ok := h.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Router exposes the Gin engine, for adding routes such as the web UI.
func (s *Server) Router() *gin.Engine { return s.router }

// Shutdown stops background evaluations at their next chunk boundary and
// waits for them (they mark their runs interrupted) or for ctx, then
// writes the request log lines still queued. Requests served after it
// log their lines themselves.
func (s *Server) Shutdown(ctx context.Context) error {
	defer s.requestLog.close()
	s.stopJobs()
	done := make(chan struct{})
	go func() { s.jobs.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) routes() *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// observe runs outside recover, so that a request that panicked is
	// logged and counted with the 500 it got.
	r.Use(s.requestID, s.observe, s.recover, s.limitBody)
	if s.authOff {
		r.Use(s.localOnly)
	}
	r.NoRoute(func(c *gin.Context) {
		s.fail(c, jixiao.Errorf(jixiao.ENOTFOUND, "no such endpoint: %s %s", c.Request.Method, c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		c.Header("Content-Type", problemContentType)
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, Problem{Type: "urn:jixiao:problem:method_not_allowed", Title: "Method not allowed", Status: http.StatusMethodNotAllowed,
			Detail: c.Request.Method + " is not allowed on " + c.Request.URL.Path, Instance: c.Request.URL.Path, Code: "method_not_allowed", RequestID: requestID(c)})
	})

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", s.metrics.handler())

	v1 := r.Group("/api/v1")
	v1.GET("/openapi.yaml", s.openAPI)
	v1.Use(s.rulesLoaded)

	viewer := v1.Group("", s.authenticate(jixiao.RoleViewer))
	scorer := v1.Group("", s.authenticate(jixiao.RoleScorer))
	admin := v1.Group("", s.authenticate(jixiao.RoleAdmin))

	viewer.GET("/projects", s.listProjects)
	viewer.GET("/projects/:year/:id", s.getProject)
	scorer.POST("/projects", s.upsertProjects)
	viewer.GET("/projects/:year/:id/form.xlsx", s.projectForm)
	viewer.GET("/projects/:year/:id/review", s.getReview)
	viewer.GET("/projects/:year/:id/versions/:hash", s.getVersion)
	scorer.POST("/projects/:year/:id/submit", s.review(jixiao.ReviewSubmit))
	reviewer := v1.Group("", s.authenticate(jixiao.RoleReviewer))
	reviewer.POST("/projects/:year/:id/approve", s.review(jixiao.ReviewApprove))
	reviewer.POST("/projects/:year/:id/return", s.review(jixiao.ReviewReturn))
	viewer.GET("/import/template", s.importTemplate)
	scorer.POST("/projects/import", s.importProjects)
	scorer.POST("/projects/import/marked", s.markedWorkbook)
	viewer.GET("/exports/summary.xlsx", s.exportSummary)

	viewer.GET("/rulesets", s.listRuleSets)
	viewer.GET("/rulesets/:id", s.getRuleSet)
	viewer.GET("/rulesets/:id/versions", s.listRuleSetVersions)
	viewer.GET("/rulesets/:id/versions/:hash", s.getRuleSetVersion)
	scorer.POST("/rulesets/validate", s.validateRuleSet)
	admin.PUT("/rulesets/:id", s.putRuleSet)

	viewer.GET("/evaluations", s.listEvaluations)
	viewer.GET("/evaluations/:run", s.getEvaluation)
	viewer.GET("/evaluations/:run/results", s.getEvaluationResults)
	scorer.POST("/evaluations", s.createEvaluation)
	scorer.POST("/evaluations/:run/resume", s.resumeEvaluation)

	viewer.GET("/scores", s.listScores)
	viewer.GET("/scores/:score", s.getScore)
	viewer.GET("/scores/:score/verify", s.verifyScore)

	viewer.POST("/simulations", s.simulate)
	viewer.GET("/simulations", s.listScenarios)
	viewer.GET("/simulations/:scenario", s.getScenario)
	viewer.POST("/simulations/goal-seek", s.goalSeek)

	v1.POST("/session", s.login)
	session := v1.Group("/session", s.sessionOnly)
	session.GET("", s.getSession)
	session.DELETE("", s.logout)
	session.PUT("/password", s.changePassword)

	viewer.GET("/departments", s.listDepartments)
	admin.POST("/departments", s.createDepartment)
	admin.PATCH("/departments/:code", s.updateDepartment)
	admin.POST("/departments/:code/merge", s.mergeDepartment)

	admin.GET("/users", s.listUsers)
	admin.POST("/users", s.createUser)
	admin.PATCH("/users/:user", s.updateUser)
	admin.POST("/users/:user/password", s.resetPassword)

	admin.GET("/keys", s.listKeys)
	admin.POST("/keys", s.createKey)
	admin.DELETE("/keys/:key", s.revokeKey)
	admin.GET("/audit", s.listAudit)
	return r
}

const requestIDKey = "request_id"

// requestID takes the caller's X-Request-Id when it is sensible, or makes one.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if id == "" || len(id) > 64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logger.Error("panic", "request_id", requestID(c), "path", c.Request.URL.Path, "panic", v)
			s.fail(c, jixiao.Errorf(jixiao.EINTERNAL, "internal error"))
		}
	}()
	c.Next()
}

// observe logs each request and records its duration by route template.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	elapsed := time.Since(start)
	s.metrics.observe(c.Request.Method, route, c.Writer.Status(), elapsed)
	level := slog.LevelInfo
	if c.Writer.Status() >= 500 {
		level = slog.LevelError
	}
	if !s.requestLog.enabled(level) {
		return
	}
	r := slog.NewRecord(time.Now(), level, "request", 0)
	r.AddAttrs(slog.String("request_id", requestID(c)), slog.String("method", c.Request.Method), slog.String("route", route),
		slog.String("path", c.Request.URL.Path), slog.Int("status", c.Writer.Status()),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.String("key", c.GetString(keyNameKey)))
	s.requestLog.log(r)
}

// requestLogQueue is how many request log lines may wait for the writer.
const requestLogQueue = 4096

// requestLog writes the one line a request logs from a goroutine of its
// own. A request's response is only sent once its handlers have returned,
// and a slog handler writes one line at a time under a lock, with a
// system call: written by the requests themselves, every response waited
// for its log line, and for the lines of the requests before it whenever
// the writing goroutine lost its core in the system call. Lines are
// written in the order they were queued; when the queue is full, a request
// waits for room, so that no line is lost.
type requestLog struct {
	h      slog.Handler
	queue  chan slog.Record
	done   chan struct{}
	mu     sync.RWMutex // held for reading while queueing; closing takes it
	closed bool
}

func newRequestLog(h slog.Handler, size int) *requestLog {
	l := &requestLog{h: h, queue: make(chan slog.Record, size), done: make(chan struct{})}
	go l.write()
	return l
}

func (l *requestLog) write() {
	defer close(l.done)
	for r := range l.queue {
		_ = l.h.Handle(context.Background(), r)
	}
}

func (l *requestLog) enabled(level slog.Level) bool {
	return l.h.Enabled(context.Background(), level)
}

// log queues r, or writes it at once once the log is closed. r must not
// be changed afterwards.
func (l *requestLog) log(r slog.Record) {
	l.mu.RLock()
	if !l.closed {
		l.queue <- r
		l.mu.RUnlock()
		return
	}
	l.mu.RUnlock()
	_ = l.h.Handle(context.Background(), r)
}

// close writes the queued lines and stops the writer.
func (l *requestLog) close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	<-l.done
}

// limitBody refuses bodies over the limit with 413 before they are read.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.ContentLength > s.maxBody {
		s.fail(c, jixiao.Errorf(jixiao.ETOOLARGE, "请求内容 %d 字节，超过 %d 字节的上限", c.Request.ContentLength, s.maxBody))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody)
	c.Next()
}
