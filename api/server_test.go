package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"jixiao/api"
)

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

func serveID(h http.Handler, path, id string) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("X-Request-Id", id)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// Every request logs one line, in the order the requests ended; once the
// server is shut down every line is written, and requests served after
// that still log theirs.
func TestRequestLog(t *testing.T) {
	var buf lockedBuffer
	srv := api.New(api.Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	h := srv.Handler()
	for i := range 200 {
		serveID(h, "/healthz", fmt.Sprint("r", i))
	}
	serveID(h, "/nowhere", "lost")
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := buf.lines(t)
	if len(lines) != 201 {
		t.Fatalf("%d request lines, want 201", len(lines))
	}
	for i, l := range lines[:200] {
		if l["request_id"] != fmt.Sprint("r", i) || l["level"] != "INFO" || l["method"] != "GET" || l["route"] != "/healthz" ||
			l["path"] != "/healthz" || l["status"] != float64(200) || l["key"] != "" {
			t.Fatalf("line %d: %v", i, l)
		}
		if d, ok := l["duration_ms"].(float64); !ok || d < 0 {
			t.Fatalf("line %d: duration_ms %v", i, l["duration_ms"])
		}
	}
	if l := lines[200]; l["route"] != "unmatched" || l["status"] != float64(404) || l["path"] != "/nowhere" {
		t.Errorf("404 line: %v", l)
	}

	serveID(h, "/healthz", "after")
	lines = buf.lines(t)
	if len(lines) != 202 || lines[201]["request_id"] != "after" {
		t.Errorf("after shutdown: %d lines, last %v", len(lines), lines[len(lines)-1])
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
}

// Requests that end while the server is being shut down lose no line.
func TestRequestLogDuringShutdown(t *testing.T) {
	var buf lockedBuffer
	srv := api.New(api.Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	h := srv.Handler()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				serveID(h, "/healthz", fmt.Sprint(g, "-", i))
			}
		})
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	seen := map[any]bool{}
	for _, l := range buf.lines(t) {
		seen[l["request_id"]] = true
	}
	if len(seen) != 800 {
		t.Errorf("%d distinct request lines, want 800", len(seen))
	}
}
