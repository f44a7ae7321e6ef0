package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jixiao"
)

// BenchmarkSaveChunk stores chunks of 1000 scores of about 2 KB of JSON
// each, the service's unit of work, into an SQLite file and into
// PostgreSQL (when the test server is there, see storagetest):
//
//   - SaveChunk: the store's method, through GORM, in one transaction:
//     scores (ON CONFLICT DO NOTHING), their ids, the run's links and its
//     counts;
//   - plain: database/sql multi-row INSERTs of the same scores and links
//     in one transaction, with the same JSON encoding, and nothing else:
//     the floor SaveChunk is measured against.
//
// Every iteration stores new scores (a new rule-set hash), so the tables
// grow as in a real run. rows/s counts scores.
func BenchmarkSaveChunk(b *testing.B) {
	kinds := []struct {
		name string
		open func(testing.TB) *DB
	}{{"sqlite", openTest}, {"postgres", openPostgresTest}}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) { benchmarkSaveChunk(b, k.open) })
	}
}

func benchmarkSaveChunk(b *testing.B, open func(testing.TB) *DB) {
	const chunk = 1000
	setup := func(b *testing.B) (*DB, []jixiao.StoredProject) {
		d := open(b)
		return d, storeProjects(b, d, testProjects(2024, chunk, "住建局"))
	}
	chunkFor := func(stored []jixiao.StoredProject, i int) []jixiao.ScoreRecord {
		return scoresFor(stored, "优", fmt.Sprintf("%064x", i))
	}

	b.Run("SaveChunk", func(b *testing.B) {
		d, stored := setup(b)
		ctx := context.Background()
		size := len(mustJSON(b, &chunkFor(stored, 0)[0].Result))
		var cpu time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			run := newRun(b, d, jixiao.RunOfficial)
			scores := chunkFor(stored, i)
			b.StartTimer()
			c0 := cpuTime()
			added, err := d.SaveChunk(ctx, run.ID, scores, nil)
			cpu += cpuTime() - c0
			if err != nil {
				b.Fatal(err)
			}
			if added != chunk {
				b.Fatalf("added %d, want %d", added, chunk)
			}
		}
		b.StopTimer()
		report(b, chunk, cpu)
		b.ReportMetric(float64(size), "json-bytes/row")
	})

	b.Run("plain", func(b *testing.B) {
		d, stored := setup(b)
		ctx := context.Background()
		// The store's own writer connection, with its settings.
		db := d.wsql
		var cpu time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			run := newRun(b, d, jixiao.RunOfficial)
			scores := chunkFor(stored, i)
			b.StartTimer()
			c0 := cpuTime()
			if err := plainInsert(ctx, d, db, run.ID, scores); err != nil {
				b.Fatal(err)
			}
			cpu += cpuTime() - c0
		}
		b.StopTimer()
		report(b, chunk, cpu)
	})
}

// report gives rows per second of wall time and per second of the
// process's CPU time (cpu: the CPU time of the timed calls); the second is
// steadier on a shared machine.
func report(b *testing.B, chunk int, cpu time.Duration) {
	rows := float64(b.N * chunk)
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
	if cpu > 0 {
		b.ReportMetric(rows/cpu.Seconds(), "rows/cpu-s")
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// plainInsert is the hand-written baseline: multi-row INSERTs of the
// scores with RETURNING id, then of the run's links, in one transaction.
func plainInsert(ctx context.Context, d *DB, db *sql.DB, runID int64, scores []jixiao.ScoreRecord) error {
	const batch = 500
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC()
	ids := make([]int64, 0, len(scores))
	for lo := 0; lo < len(scores); lo += batch {
		part := scores[lo:min(lo+batch, len(scores))]
		var q strings.Builder
		q.WriteString(`INSERT INTO scores (project_key, project_id, year, department, total_cents, grade, result,
			input_hash, ruleset_id, ruleset_hash, engine_version, created_at) VALUES `)
		args := make([]any, 0, len(part)*12)
		for i := range part {
			s := &part[i]
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
			result, err := json.Marshal(&s.Result)
			if err != nil {
				return err
			}
			args = append(args, s.ProjectKey, s.ProjectID, s.Year, s.Department, s.Total.Hundredths(), s.Grade,
				string(result), s.InputHash, s.RuleSetID, s.RuleSetHash, s.EngineVersion, now)
		}
		q.WriteString(" RETURNING id")
		rows, err := tx.QueryContext(ctx, d.rebind(q.String()), args...)
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
		if err := rows.Close(); err != nil {
			return err
		}
	}
	for lo := 0; lo < len(scores); lo += batch {
		part := scores[lo:min(lo+batch, len(scores))]
		var q strings.Builder
		q.WriteString("INSERT INTO run_scores (run_id, score_id, project_key) VALUES ")
		args := make([]any, 0, len(part)*3)
		for i := range part {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?)")
			args = append(args, runID, ids[lo+i], part[i].ProjectKey)
		}
		if _, err := tx.ExecContext(ctx, d.rebind(q.String()), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// BenchmarkDepartmentScope is the scope a request of a scoped account
// reads: a department with 20 units, among 500 departments.
func BenchmarkDepartmentScope(b *testing.B) {
	ctx := context.Background()
	d, err := OpenSQLite(ctx, filepath.Join(b.TempDir(), "jixiao.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for i := range 500 {
		dep := jixiao.Department{Code: fmt.Sprintf("D%03d", i), Name: fmt.Sprintf("部门%03d", i)}
		if i > 0 && i <= 20 {
			dep.ParentCode = "D000"
		}
		if err := d.CreateDepartment(ctx, &dep); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		s, err := d.DepartmentScope(ctx, "D000")
		if err != nil || len(s.Departments) != 21 {
			b.Fatalf("%+v, %v", s, err)
		}
	}
}
