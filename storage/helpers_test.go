package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"jixiao"
	"jixiao/storage/storagetest"
)

// openTest opens a fresh database file in a temporary directory.
func openTest(tb testing.TB) *DB {
	tb.Helper()
	return openStore(tb, filepath.Join(tb.TempDir(), "jixiao.db"))
}

// openPostgresTest opens a fresh schema of the test server.
func openPostgresTest(tb testing.TB) *DB {
	tb.Helper()
	return openStore(tb, storagetest.PostgresURL(tb))
}

// openStore opens the database a --db value names, closed when the test ends.
func openStore(tb testing.TB, db string) *DB {
	tb.Helper()
	d, err := Open(context.Background(), db)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Error(err)
		}
	})
	return d
}

// clock is a settable time source for DB.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func (c *clock) tick() time.Time {
	c.t = c.t.Add(time.Second)
	return c.t
}

func newClock(d *DB) *clock {
	c := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	d.Now = c.now
	return c
}

func dec(n int64) *jixiao.Decimal {
	v := jixiao.Cents(n)
	return &v
}

func fl(f float64) *float64 { return &f }

// testProject is a plausible project of a department.
func testProject(year int, id, dept string) jixiao.Project {
	return jixiao.Project{
		ID: id, Name: "项目 " + id, Department: dept, Year: year,
		BudgetInitial: dec(50000000), BudgetAdjusted: jixiao.Cents(60000000), FundsArrived: dec(60000000),
		Spent: jixiao.Cents(57345612), Compliance: jixiao.Achieved,
		Indicators: []jixiao.Indicator{
			{Level1: "产出指标", Level2: "数量指标", Name: "改造老旧小区数量", Direction: jixiao.AtLeast, Target: fl(12), Actual: fl(12), Unit: "个"},
			{Level1: "产出指标", Level2: "质量指标", Name: "工程验收合格率", Direction: jixiao.AtLeast, Target: fl(100), Actual: fl(98.5), Unit: "%"},
			{Level1: "效益指标", Level2: "社会效益指标", Name: "受益居民户数", Direction: jixiao.AtLeast, Target: fl(3000), Actual: fl(3120), Unit: "户"},
			{Level1: "满意度指标", Level2: "服务对象满意度指标", Name: "居民满意度", Direction: jixiao.AtLeast, Target: fl(90), Actual: fl(93), Unit: "%"},
		},
	}
}

// testProjects returns n projects of one year, ids P00001…
func testProjects(year, n int, dept string) []jixiao.Project {
	ps := make([]jixiao.Project, n)
	for i := range ps {
		ps[i] = testProject(year, fmt.Sprintf("P%05d", i+1), dept)
	}
	return ps
}

// testResult is a scored tree of about 2 KB of JSON, like the engine's.
func testResult(p *jixiao.Project, total int64, grade string) jixiao.Result {
	leaf := func(id, name string, points, score int64, reason string) jixiao.Node {
		return jixiao.Node{ID: id, Name: name, Points: jixiao.Cents(points), Score: jixiao.Cents(score), Reason: reason}
	}
	return jixiao.Result{
		ProjectID: p.ID, ProjectName: p.Name, Total: jixiao.Cents(total), Grade: grade,
		RuleSet: jixiao.RuleSetRef{ID: "cn-mof-2020-self", Version: "2024.1", Hash: ruleHash},
		Indicators: []jixiao.Node{
			leaf("execution", "预算执行率", 1000, 956, "预算执行率 = 573456.12 ÷ 600000.00 = 95.58%，得分 = 10 × min(95.58%, 100%) = 9.56"),
			{ID: "output", Name: "产出指标", Points: jixiao.Cents(5000), Score: jixiao.Cents(4963), Children: []jixiao.Node{
				leaf("output.1", "改造老旧小区数量", 2500, 2500, "实际完成值 12 达到年度指标值 12，得满分 25"),
				leaf("output.2", "工程验收合格率", 1500, 1478, "实际完成值 98.5 低于年度指标值 100，得分 = 15 × 98.5/100 = 14.78"),
				leaf("output.3", "项目完成及时率", 1000, 985, "实际完成值 98.5 低于年度指标值 100，得分 = 10 × 98.5/100 = 9.85；偏差原因：个别小区因雨季施工延期，已于次年一季度完成"),
			}},
			{ID: "benefit", Name: "效益指标", Points: jixiao.Cents(3000), Score: jixiao.Cents(3000), Children: []jixiao.Node{
				leaf("benefit.1", "受益居民户数", 3000, 3000, "实际完成值 3120 达到年度指标值 3000，得满分 30"),
			}},
			{ID: "satisfaction", Name: "满意度指标", Points: jixiao.Cents(1000), Score: jixiao.Cents(1000), Children: []jixiao.Node{
				leaf("satisfaction.1", "居民满意度", 1000, 1000, "实际完成值 93 达到年度指标值 90，得满分 10"),
			}},
		},
		Findings: []jixiao.Finding{
			{Check: "balance_missing", Severity: jixiao.SeverityInfo, Message: "未填报结余，按全年预算数与执行数计算为 26543.88 元"},
			{Check: "deviation_reason_missing", Severity: jixiao.SeverityWarning, Message: "「工程验收合格率」未达到年度指标值，但未填写偏差原因", Indicator: "output.2"},
			{Check: "target_too_low", Severity: jixiao.SeverityWarning, Message: "「受益居民户数」实际完成值 3120 为年度指标值 3000 的 104%，指标值设定合理", Indicator: "benefit.1"},
		},
	}
}

const ruleHash = "4f1c0e8a9b2d3c4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789"

// storeProjects upserts ps and returns them as stored, in (year, id) order.
func storeProjects(tb testing.TB, d *DB, ps []jixiao.Project) []jixiao.StoredProject {
	tb.Helper()
	ctx := context.Background()
	if _, err := d.UpsertProjects(ctx, ps); err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, len(ps))
	for i := range ps {
		ids[i] = ps[i].ID
	}
	stored, _, err := d.FindProjects(ctx, jixiao.ProjectFilter{IDs: ids})
	if err != nil {
		tb.Fatal(err)
	}
	if len(stored) != len(ps) {
		tb.Fatalf("stored %d projects, found %d", len(ps), len(stored))
	}
	return stored
}

// scoresFor scores stored projects with one grade for all, under the
// test rule set.
func scoresFor(stored []jixiao.StoredProject, grade string, ruleSetHash string) []jixiao.ScoreRecord {
	out := make([]jixiao.ScoreRecord, len(stored))
	for i := range stored {
		sp := &stored[i]
		p := &sp.Project
		r := testResult(p, 9519, grade)
		out[i] = jixiao.ScoreRecord{
			ProjectKey: sp.Key, ProjectID: p.ID, Year: p.Year, Department: p.Department,
			Total: r.Total, Grade: r.Grade, Result: r, InputHash: sp.InputHash,
			RuleSetID: "cn-mof-2020-self", RuleSetHash: ruleSetHash, EngineVersion: "1",
		}
	}
	return out
}

func newRun(tb testing.TB, d *DB, kind string) *jixiao.Run {
	tb.Helper()
	r := &jixiao.Run{Kind: kind, RuleSetID: "cn-mof-2020-self", RuleSetHash: ruleHash, RequestedBy: "tester"}
	if err := d.CreateRun(context.Background(), r); err != nil {
		tb.Fatal(err)
	}
	return r
}

// count counts the rows of a table.
func count(tb testing.TB, d *DB, table string) int64 {
	tb.Helper()
	var n int64
	if err := d.r.Table(table).Count(&n).Error; err != nil {
		tb.Fatal(err)
	}
	return n
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s", code)
	}
	if got := jixiao.ErrorCode(err); got != code {
		var e *jixiao.Error
		tb.Fatalf("got error %v (code %s, app error %v), want %s", err, got, errors.As(err, &e), code)
	}
}

// forEachDB runs fn on a fresh database of every kind the store supports:
// an SQLite file, and PostgreSQL when JIXIAO_TEST_POSTGRES names a server
// (see storagetest).
func forEachDB(t *testing.T, fn func(t *testing.T, d *DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, openTest(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgresTest(t)) })
}
