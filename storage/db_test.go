package storage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/sqlite"

	"jixiao"
)

// pragmas reads the settings that must hold on every connection.
func pragmas(t *testing.T, c *sql.Conn) (journal string, fk, busy, sync int) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []struct {
		sql  string
		dest any
	}{
		{"PRAGMA journal_mode", &journal},
		{"PRAGMA foreign_keys", &fk},
		{"PRAGMA busy_timeout", &busy},
		{"PRAGMA synchronous", &sync},
	} {
		if err := c.QueryRowContext(ctx, q.sql).Scan(q.dest); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	return
}

// TestPragmasOnEveryConnection holds every connection of both pools at
// once, so that each is a distinct connection, and checks its settings.
func TestPragmasOnEveryConnection(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()

	check := func(name string, pool *sql.DB, n int) []*sql.Conn {
		conns := make([]*sql.Conn, n)
		for i := range conns {
			c, err := pool.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns[i] = c
			journal, fk, busy, sync := pragmas(t, c)
			if journal != "wal" || fk != 1 || busy != 5000 || sync != 1 {
				t.Errorf("%s connection %d: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d; want wal 1 5000 1",
					name, i, journal, fk, busy, sync)
			}
		}
		return conns
	}
	var size int
	if err := d.rsql.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil || size != pageSize {
		t.Errorf("page size %d (%v), want %d", size, err, pageSize)
	}
	readers := check("reader", d.rsql, readers())
	writers := check("writer", d.wsql, 1)

	// The pools are full: no further connection is handed out.
	for name, pool := range map[string]*sql.DB{"reader": d.rsql, "writer": d.wsql} {
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		c, err := pool.Conn(short)
		cancel()
		if err == nil {
			c.Close()
			t.Errorf("%s pool handed out more connections than its limit", name)
		}
	}

	// Readers are read-only.
	if _, err := readers[0].ExecContext(ctx, "INSERT INTO audit_log (at, actor, action) VALUES (?, 'x', 'y')", time.Now()); err == nil ||
		!strings.Contains(err.Error(), "readonly") {
		t.Errorf("write through a reader: got %v, want a read-only error", err)
	}
	for _, c := range append(readers, writers...) {
		c.Close()
	}
}

// TestWriterBeginsImmediate checks _txlock=immediate: a transaction of
// the writer holds the write lock from BEGIN, so another process's
// writer waits (here it gives up at once) before the first statement.
func TestWriterBeginsImmediate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jixiao.db")
	ctx := context.Background()
	d, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	tx, err := d.wsql.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	other, err := sql.Open(sqlite.DriverName, "file:"+path+"?_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = other.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second writer: got %v, want database is locked", err)
	}
}

func TestMigrationsRunOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jixiao.db")
	ctx := context.Background()

	versions := func(d *DB) []int64 {
		var v []int64
		if err := d.r.Raw("SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY id").Scan(&v).Error; err != nil {
			t.Fatal(err)
		}
		return v
	}

	d, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	first := versions(d)
	if len(first) == 0 || first[0] != 1 {
		t.Fatalf("applied versions %v, want 1 first", first)
	}
	if _, err := d.UpsertProjects(ctx, testProjects(2024, 3, "住建局")); err != nil {
		t.Fatal(err)
	}
	// Migrating an up-to-date database applies nothing.
	if n, err := migrate(ctx, d.wsql, d.postgres); err != nil || n != 0 {
		t.Fatalf("second migrate applied %d (%v), want 0", n, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if again := versions(d); fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("after reopening, versions %v, want %v", again, first)
	}
	if _, total, err := d.FindProjects(ctx, jixiao.ProjectFilter{}); err != nil || total != 3 {
		t.Fatalf("after reopening: %d projects (%v), want 3", total, err)
	}
}

func TestOpenSQLitePathWithSpecialCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "绩效 数据?#1.db")
	d, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestNotFound(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		tests := []struct {
			name string
			call func() error
		}{
			{"FindProject", func() error { _, err := d.FindProject(ctx, 2024, "none"); return err }},
			{"FindInput", func() error { _, err := d.FindInput(ctx, "00"); return err }},
			{"MarkRuleSetActivated", func() error { return d.MarkRuleSetActivated(ctx, "x", "00", time.Now()) }},
			{"FindRuleSetVersion", func() error { _, err := d.FindRuleSetVersion(ctx, "00"); return err }},
			{"FindRun", func() error { _, err := d.FindRun(ctx, 42); return err }},
			{"SaveChunk", func() error { _, err := d.SaveChunk(ctx, 42, nil, nil); return err }},
			{"FinishRun", func() error { return d.FinishRun(ctx, 42, jixiao.RunDone, "", time.Now()) }},
			{"ReopenRun", func() error { return d.ReopenRun(ctx, 42) }},
			{"DoneKeys", func() error { _, err := d.DoneKeys(ctx, 42); return err }},
			{"FindScore", func() error { _, err := d.FindScore(ctx, 42); return err }},
			{"LatestScore", func() error { _, err := d.LatestScore(ctx, 42); return err }},
			{"FindRunRejections", func() error { _, err := d.FindRunRejections(ctx, 42); return err }},
			{"FindAPIKeyByHash", func() error { _, err := d.FindAPIKeyByHash(ctx, "00"); return err }},
			{"RevokeAPIKey", func() error { _, err := d.RevokeAPIKey(ctx, 42, time.Now()); return err }},
			{"FindScenario", func() error { _, err := d.FindScenario(ctx, 42); return err }},
			{"SaveScenario", func() error {
				return d.SaveScenario(ctx, &jixiao.Scenario{ID: 42, Name: "x", Request: []byte("{}"), Summary: []byte("{}")})
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), jixiao.ENOTFOUND) })
		}
	})
}

// TestReadersBesideWriter reads with many goroutines while the writer
// stores projects and chunks of scores: WAL lets readers run beside the
// writer, and none may see SQLITE_BUSY.
func TestReadersBesideWriter(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	stored := storeProjects(t, d, testProjects(2024, 400, "住建局"))

	const rounds = 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		stop    = make(chan struct{})
		reads   int
		written int
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}

	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(stop)
		for i := range rounds {
			run := &jixiao.Run{Kind: jixiao.RunOfficial, RuleSetID: "cn-mof-2020-self", RuleSetHash: ruleHash}
			if err := d.CreateRun(ctx, run); err != nil {
				fail(err)
				return
			}
			hash := fmt.Sprintf("%064x", i) // a new rule set each time: new scores
			for lo := 0; lo < len(stored); lo += 100 {
				if _, err := d.SaveChunk(ctx, run.ID, scoresFor(stored[lo:lo+100], "优", hash), nil); err != nil {
					fail(fmt.Errorf("SaveChunk: %w", err))
					return
				}
			}
			ps := testProjects(2025, 50, fmt.Sprintf("部门%d", i))
			if _, err := d.UpsertProjects(ctx, ps); err != nil {
				fail(fmt.Errorf("UpsertProjects: %w", err))
				return
			}
			if err := d.FinishRun(ctx, run.ID, jixiao.RunDone, "", time.Now()); err != nil {
				fail(err)
				return
			}
			written++
		}
	}()

	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				switch g % 4 {
				case 0:
					_, _, err = d.FindProjects(ctx, jixiao.ProjectFilter{Year: 2024, Grade: "优", Limit: 50})
				case 1:
					_, _, err = d.FindScores(ctx, jixiao.ScoreFilter{ProjectID: "P00007", Limit: 20})
				case 2:
					_, err = d.LatestScore(ctx, stored[g].Key)
					if jixiao.ErrorCode(err) == jixiao.ENOTFOUND {
						err = nil
					}
				case 3:
					_, _, err = d.FindRuns(ctx, "", 0, 10)
				}
				if err != nil {
					fail(fmt.Errorf("reader %d: %w", g, err))
					return
				}
				mu.Lock()
				reads++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
			t.Errorf("busy: %v", err)
		} else {
			t.Error(err)
		}
	}
	if written != rounds || reads == 0 {
		t.Fatalf("%d write rounds, %d reads", written, reads)
	}
	if n := count(t, d, "scores"); n != rounds*400 {
		t.Fatalf("%d scores, want %d", n, rounds*400)
	}
	t.Logf("%d reads beside %d write rounds", reads, written)
}

func TestOpenSQLiteEmptyPath(t *testing.T) {
	if _, err := OpenSQLite(context.Background(), ""); err == nil {
		t.Fatal("want an error for an empty path")
	}
}

func TestPing(t *testing.T) {
	d, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "jixiao.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Ping(context.Background()); err == nil {
		t.Fatal("ping after close succeeded")
	}
}
