package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gorm.io/driver/sqlite"

	"jixiao"
	"jixiao/engine"
	"jixiao/evaluation"
	"jixiao/storage"
)

// Timing is how long a measured phase took, in wall time and in the CPU
// time of the whole process (user and system).
type Timing struct {
	Wall, CPU time.Duration
}

func since(wall0 time.Time, cpu0 time.Duration) Timing {
	return Timing{Wall: time.Since(wall0), CPU: CPUTime() - cpu0}
}

// Executor executes a started run: (*evaluation.Service).Execute, or a
// prototype of a change to it.
type Executor func(ctx context.Context, s *evaluation.Service, run *jixiao.Run, rs *engine.RuleSet) error

// Approved is the selection of POST /api/v1/evaluations with no filter:
// every approved project.
var Approved = evaluation.Selection{Statuses: []string{jixiao.StatusApproved}}

// Official runs an official evaluation of every project stored in the
// database db (an SQLite path or a postgres:// URL), as the service runs
// one: evaluation.Service Start, then Execute (or exec, when not nil), on
// a store opened with storage.Open. Only Start and Execute are timed;
// opening the store is not, nor is closing it (which, on SQLite,
// checkpoints what is left in the WAL, at most wal_autocheckpoint pages).
func Official(ctx context.Context, db string, rs *engine.RuleSet, svc evaluation.Service, exec Executor) (*jixiao.Run, Timing, error) {
	if exec == nil {
		exec = func(ctx context.Context, s *evaluation.Service, run *jixiao.Run, rs *engine.RuleSet) error {
			return s.Execute(ctx, run, rs)
		}
	}
	store, err := storage.Open(ctx, db)
	if err != nil {
		return nil, Timing{}, err
	}
	defer store.Close()
	svc.Store = store
	wall0, cpu0 := time.Now(), CPUTime()
	run, err := svc.Start(ctx, rs, Approved, "bench")
	if err != nil {
		return nil, Timing{}, err
	}
	if err := exec(ctx, &svc, run, rs); err != nil {
		return nil, Timing{}, err
	}
	t := since(wall0, cpu0)
	if err := store.Close(); err != nil {
		return nil, Timing{}, err
	}
	return run, t, nil
}

// ScoreRow is one row of the scores table, as stored.
type ScoreRow struct {
	ProjectKey    int64
	ProjectID     string
	Year          int
	Department    string
	TotalCents    int64
	Grade         string
	Result        string // the result JSON
	InputHash     string
	RuleSetID     string
	RuleSetHash   string
	EngineVersion string
	CreatedAt     time.Time
}

// appendInsertArgs appends the values of the score's columns, in the
// plain inserts' column order.
func (s *ScoreRow) appendInsertArgs(args []any) []any {
	return append(args, s.ProjectKey, s.ProjectID, s.Year, s.Department, s.TotalCents, s.Grade,
		s.Result, s.InputHash, s.RuleSetID, s.RuleSetHash, s.EngineVersion, s.CreatedAt)
}

// ReadScores reads the scores run runID linked, in project key order,
// from database db (a closed SQLite file, or a postgres:// URL).
func ReadScores(ctx context.Context, db string, runID int64) ([]ScoreRow, error) {
	driver, dsn, param := sqlite.DriverName, WriterDSN(db), "?"
	if storage.IsPostgresURL(db) {
		driver, dsn, param = "pgx", db, "$1"
	}
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT s.project_key, s.project_id, s.year, s.department, s.total_cents, s.grade,
		s.result, s.input_hash, s.ruleset_id, s.ruleset_hash, s.engine_version, s.created_at
		FROM run_scores rs JOIN scores s ON s.id = rs.score_id WHERE rs.run_id = `+param+` ORDER BY rs.project_key`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ScoreRow
	for rows.Next() {
		var r ScoreRow
		if err := rows.Scan(&r.ProjectKey, &r.ProjectID, &r.Year, &r.Department, &r.TotalCents, &r.Grade,
			&r.Result, &r.InputHash, &r.RuleSetID, &r.RuleSetHash, &r.EngineVersion, &r.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// WriterDSN is the connection string of the store's writer connection
// (storage.OpenSQLite): the same journal, synchronous, busy-timeout,
// foreign-key and locking settings, so that the plain insert writes under
// the conditions the store writes under.
func WriterDSN(path string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}
	return u.String()
}

// Plain rows per INSERT statement and per transaction, as the store uses.
const (
	plainBatch = 500
	plainChunk = evaluation.DefaultChunkSize
)

// PlainInsert is the floor an official run is measured against: the same
// score rows, with the same result JSON already encoded, inserted into
// database db with the driver alone: for every chunk of 1000 rows, one
// transaction of multi-row INSERTs into scores (RETURNING id) and into
// run_scores, through statements prepared once; nothing read, nothing
// checked, no ORM. The run row it links to is created first, untimed.
// Opening and closing are not timed either. On PostgreSQL it is
// PlainPostgres with plainInsert.
func PlainInsert(ctx context.Context, db string, scores []ScoreRow) (Timing, error) {
	if storage.IsPostgresURL(db) {
		return PlainPostgres(ctx, db, scores, false)
	}
	return plainSQLite(ctx, db, scores)
}

func plainSQLite(ctx context.Context, path string, scores []ScoreRow) (Timing, error) {
	db, err := sql.Open(sqlite.DriverName, WriterDSN(path))
	if err != nil {
		return Timing{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	if len(scores) == 0 {
		return Timing{}, nil
	}
	s0 := &scores[0]
	res, err := db.ExecContext(ctx, `INSERT INTO runs (kind, ruleset_id, ruleset_hash, status, total, started_at)
		VALUES ('official', ?, ?, 'running', ?, ?)`, s0.RuleSetID, s0.RuleSetHash, len(scores), time.Now().UTC())
	if err != nil {
		return Timing{}, err
	}
	runID, err := res.LastInsertId()
	if err != nil {
		return Timing{}, err
	}

	wall0, cpu0 := time.Now(), CPUTime()
	p := plain{db: db, stmts: map[string]*sql.Stmt{}}
	defer p.close()
	for lo := 0; lo < len(scores); lo += plainChunk {
		if err := p.chunk(ctx, runID, scores[lo:min(lo+plainChunk, len(scores))]); err != nil {
			return Timing{}, err
		}
	}
	t := since(wall0, cpu0)
	p.close()
	return t, db.Close()
}

// plain inserts chunks, with a prepared statement for each size of
// INSERT it has used.
type plain struct {
	db    *sql.DB
	stmts map[string]*sql.Stmt
}

func (p *plain) close() {
	for q, st := range p.stmts {
		st.Close()
		delete(p.stmts, q)
	}
}

// stmt returns the statement for query, prepared once on the
// connection; it must be called outside a transaction, which would hold
// the pool's only connection.
func (p *plain) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := p.stmts[query]; st != nil {
		return st, nil
	}
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.stmts[query] = st
	return st, nil
}

func placeholders(rows, arity int) string {
	group := "(" + strings.Repeat("?,", arity-1) + "?)"
	return strings.Repeat(group+",", rows-1) + group
}

func (p *plain) chunk(ctx context.Context, runID int64, scores []ScoreRow) error {
	insertScores := make([]*sql.Stmt, 0, 2)
	for lo := 0; lo < len(scores); lo += plainBatch {
		n := min(plainBatch, len(scores)-lo)
		st, err := p.stmt(ctx, `INSERT INTO scores (project_key, project_id, year, department, total_cents, grade, result,
			input_hash, ruleset_id, ruleset_hash, engine_version, created_at) VALUES `+placeholders(n, 12)+" RETURNING id")
		if err != nil {
			return err
		}
		insertScores = append(insertScores, st)
	}
	insertLinks, err := p.stmt(ctx, "INSERT INTO run_scores (run_id, score_id, project_key) VALUES "+placeholders(len(scores), 3))
	if err != nil {
		return err
	}

	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ids := make([]int64, 0, len(scores))
	args := make([]any, 0, plainBatch*12)
	for k, lo := 0, 0; lo < len(scores); k, lo = k+1, lo+plainBatch {
		part := scores[lo:min(lo+plainBatch, len(scores))]
		args = args[:0]
		for i := range part {
			args = part[i].appendInsertArgs(args)
		}
		rows, err := tx.StmtContext(ctx, insertScores[k]).QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	if len(ids) != len(scores) {
		return fmt.Errorf("%d ids for %d scores", len(ids), len(scores))
	}
	args = make([]any, 0, len(scores)*3)
	for i := range scores {
		args = append(args, runID, ids[i], scores[i].ProjectKey)
	}
	if _, err := tx.StmtContext(ctx, insertLinks).ExecContext(ctx, args...); err != nil {
		return err
	}
	return tx.Commit()
}

// Join works on the running official run runID of database db as another
// instance of the service does: evaluation.Service.Execute with Shared set,
// claiming the run's free chunks beside whoever else works on it, until
// none is left. It returns how many projects this process scored.
func Join(ctx context.Context, db string, runID int64, rs *engine.RuleSet) (int, error) {
	store, err := storage.Open(ctx, db)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	run, err := store.FindRun(ctx, runID)
	if err != nil {
		return 0, err
	}
	scoredBefore := run.Scored
	svc := evaluation.Service{Store: store, Shared: true}
	if err := svc.Execute(ctx, run, rs); err != nil {
		return 0, err
	}
	return run.Scored - scoredBefore, store.Close()
}
