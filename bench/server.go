package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/api"
	"jixiao/evaluation"
	"jixiao/registry"
	"jixiao/storage"
)

// Server is the service running in this process on a loopback port, wired
// as `jixiao serve` wires it: SQLite store, registry of the built-in rule
// sets, evaluation service, the API's router, an http.Server with the
// same timeouts.
type Server struct {
	URL string // http://127.0.0.1:port
	Key string // a scorer key; "" when auth is off

	store *storage.DB
	api   *api.Server
	http  *http.Server
	done  chan error
}

// StartServer starts the service on 127.0.0.1 with a database at dbPath
// (created if missing). With auth, it creates a scorer key and requests
// must send it, as in production; every request then also looks the key
// up. The log is JSON, one line per request, as `jixiao serve` writes it,
// but to log (io.Discard when nil).
func StartServer(ctx context.Context, dbPath string, auth bool, log io.Writer) (*Server, error) {
	return StartServerAt(ctx, "127.0.0.1:0", dbPath, auth, log)
}

// StartServerAt is StartServer on a given loopback address (host:port).
func StartServerAt(ctx context.Context, addr, dbPath string, auth bool, log io.Writer) (*Server, error) {
	if err := CheckLoopback("http://" + addr); err != nil {
		return nil, err
	}
	if log == nil {
		log = io.Discard
	}
	logger := slog.New(slog.NewJSONHandler(log, nil))
	store, err := storage.OpenSQLite(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	s := &Server{store: store, done: make(chan error, 1)}
	fail := func(err error) (*Server, error) {
		store.Close()
		return nil, err
	}
	metrics := api.NewMetrics()
	reg, err := registry.New(registry.Options{
		Logger: logger,
		// As the service wires it.
		OnActivate: api.RecordActivation(store, metrics, logger),
		OnReload:   metrics.Reloaded,
	})
	if err != nil {
		return fail(err)
	}
	if auth {
		secret, key := jixiao.NewAPIKey("bench", jixiao.RoleScorer, time.Now())
		if err := store.CreateAPIKey(ctx, &key); err != nil {
			return fail(err)
		}
		s.Key = secret
	}
	evals := &evaluation.Service{Store: store, Logger: logger, OnScored: metrics.Scored}
	gin.SetMode(gin.ReleaseMode)
	s.api = api.New(api.Options{
		Store: store, Rules: reg, Evaluations: evals, Logger: logger,
		DefaultRules: RuleSetID, AuthOff: !auth, Metrics: metrics,
	})
	s.http = &http.Server{
		Handler:           s.api.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(err)
	}
	s.URL = "http://" + ln.Addr().String()
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

// Close shuts the server down and closes the store.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	err = errors.Join(err, s.api.Shutdown(ctx), s.store.Close())
	if err != nil {
		return fmt.Errorf("stopping the server: %w", err)
	}
	return nil
}
