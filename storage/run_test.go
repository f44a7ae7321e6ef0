package storage

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"jixiao"
)

func TestCreateAndFindRuns(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		clk := newClock(d)
		ctx := context.Background()

		r := &jixiao.Run{Kind: jixiao.RunOfficial, RuleSetID: "cn-mof-2020-self", RuleSetHash: ruleHash, RequestedBy: "张三",
			Selection: json.RawMessage(`{"year":2024}`), Total: 26}
		if err := d.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r.ID == 0 || r.Status != jixiao.RunRunning || !r.StartedAt.Equal(clk.t) {
			t.Fatalf("created %+v", r)
		}
		got, err := d.FindRun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("found\n%+v\nwant\n%+v", got, r)
		}

		sim := newRun(t, d, jixiao.RunSimulation)
		third := newRun(t, d, jixiao.RunOfficial)
		tests := []struct {
			kind          string
			offset, limit int
			want          []int64
			total         int
		}{
			{"", 0, 0, []int64{third.ID, sim.ID, r.ID}, 3},
			{jixiao.RunOfficial, 0, 0, []int64{third.ID, r.ID}, 2},
			{jixiao.RunSimulation, 0, 10, []int64{sim.ID}, 1},
			{"", 1, 1, []int64{sim.ID}, 3},
		}
		for _, tt := range tests {
			runs, total, err := d.FindRuns(ctx, tt.kind, tt.offset, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range runs {
				ids = append(ids, r.ID)
			}
			if !slices.Equal(ids, tt.want) || total != tt.total {
				t.Errorf("FindRuns(%q, %d, %d) = %v (%d), want %v (%d)", tt.kind, tt.offset, tt.limit, ids, total, tt.want, tt.total)
			}
		}

		for _, bad := range []*jixiao.Run{{Kind: "trial"}, {Kind: jixiao.RunOfficial, Status: "paused"}} {
			wantCode(t, d.CreateRun(ctx, bad), jixiao.EINVALID)
		}
	})
}

func TestSaveChunk(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		stored := storeProjects(t, d, testProjects(2024, 1200, "住建局"))
		scores := scoresFor(stored[:1100], "优", ruleHash)
		rejected := []jixiao.RunRejection{
			{ProjectKey: stored[1100].Key, ProjectID: stored[1100].Project.ID, Year: 2024, Errors: []string{"spent: 执行数大于预算数", "indicators: 没有绩效指标"}},
			{ProjectKey: stored[1101].Key, ProjectID: stored[1101].Project.ID, Year: 2024, Errors: []string{"weight: 权重合计不等于 50"}},
		}

		type counts struct{ scores, links, rejections int64 }
		rows := func() counts {
			return counts{count(t, d, "scores"), count(t, d, "run_scores"), count(t, d, "run_rejections")}
		}
		run1 := newRun(t, d, jixiao.RunOfficial)
		run2 := newRun(t, d, jixiao.RunOfficial)
		changed := testProject(2024, stored[0].Project.ID, "住建局")
		changed.Spent = jixiao.Cents(100)

		steps := []struct {
			name     string
			run      *jixiao.Run
			scores   []jixiao.ScoreRecord
			rejected []jixiao.RunRejection
			before   func()
			added    int
			want     counts
			scored   int // the run's count after the step
			rejects  int
		}{
			{name: "first save", run: run1, scores: scores, rejected: rejected, added: 1100, want: counts{1100, 1100, 2}, scored: 1100, rejects: 2},
			{name: "same chunk again", run: run1, scores: scores, rejected: rejected, added: 0, want: counts{1100, 1100, 2}, scored: 1100, rejects: 2},
			{name: "overlapping chunk", run: run1, scores: scoresFor(slices.Concat(stored[1000:1100], stored[1102:1104]), "优", ruleHash), added: 2, want: counts{1102, 1102, 2}, scored: 1102, rejects: 2},
			// A second run over identical inputs links to the stored scores.
			{name: "second run, same inputs", run: run2, scores: scores, rejected: rejected, added: 1100, want: counts{1102, 2202, 4}, scored: 1100, rejects: 2},
			{name: "empty chunk", run: run2, added: 0, want: counts{1102, 2202, 4}, scored: 1100, rejects: 2},
		}
		for _, st := range steps {
			added, err := d.SaveChunk(ctx, st.run.ID, st.scores, st.rejected)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if added != st.added {
				t.Errorf("%s: added %d, want %d", st.name, added, st.added)
			}
			if got := rows(); got != st.want {
				t.Errorf("%s: rows %+v, want %+v", st.name, got, st.want)
			}
			r, err := d.FindRun(ctx, st.run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Scored != st.scored || r.Rejected != st.rejects {
				t.Errorf("%s: run counts scored %d rejected %d, want %d %d", st.name, r.Scored, r.Rejected, st.scored, st.rejects)
			}
		}

		// A changed input is a new score; a new engine version too.
		if _, err := d.UpsertProjects(ctx, []jixiao.Project{changed}); err != nil {
			t.Fatal(err)
		}
		sp, _ := d.FindProject(ctx, 2024, changed.ID)
		run3 := newRun(t, d, jixiao.RunOfficial)
		fresh := scoresFor([]jixiao.StoredProject{*sp, stored[1]}, "良", ruleHash)
		fresh[1].EngineVersion = "2"
		if n := mustSave(t, d, run3.ID, fresh, nil); n != 2 {
			t.Errorf("run 3 added %d, want 2", n)
		}
		if n := count(t, d, "scores"); n != 1104 {
			t.Errorf("%d scores, want 1104", n)
		}

		// The stored score reads back as saved, under each run.
		for _, runID := range []int64{run1.ID, run2.ID} {
			got, total, err := d.FindScores(ctx, jixiao.ScoreFilter{RunID: runID, ProjectID: scores[5].ProjectID})
			if err != nil || total != 1 {
				t.Fatalf("run %d: %d scores (%v)", runID, total, err)
			}
			want := scores[5]
			want.ID, want.RunID, want.CreatedAt = got[0].ID, runID, got[0].CreatedAt
			if !reflect.DeepEqual(got[0], want) {
				t.Errorf("run %d: read back\n%+v\nwant\n%+v", runID, got[0], want)
			}
		}

		done, err := d.DoneKeys(ctx, run1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(done) != 1104 || !done[stored[0].Key] || !done[stored[1101].Key] || !done[stored[1103].Key] || done[stored[1104].Key] {
			t.Errorf("DoneKeys: %d keys", len(done))
		}

		rej, err := d.FindRunRejections(ctx, run1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rej) != 2 || !slices.Equal(rej[0].Errors, rejected[0].Errors) || rej[0].RunID != run1.ID || rej[1].ProjectID != rejected[1].ProjectID {
			t.Errorf("rejections %+v", rej)
		}
	})
}

func TestSaveChunkAllOrNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		stored := storeProjects(t, d, testProjects(2024, 10, "住建局"))
		run := newRun(t, d, jixiao.RunOfficial)

		unknownProject := scoresFor(stored, "优", ruleHash)
		unknownProject[9].ProjectKey = 999
		unknownInput := scoresFor(stored, "优", ruleHash)
		unknownInput[9].InputHash = "00"
		badRejection := []jixiao.RunRejection{{ProjectKey: 999, ProjectID: "X", Year: 2024, Errors: []string{"x"}}}

		tests := []struct {
			name     string
			runID    int64
			scores   []jixiao.ScoreRecord
			rejected []jixiao.RunRejection
			code     string
		}{
			{"unknown project", run.ID, unknownProject, nil, jixiao.EINVALID},
			{"unknown input", run.ID, unknownInput, nil, jixiao.EINVALID},
			{"unknown rejected project", run.ID, scoresFor(stored, "优", ruleHash), badRejection, jixiao.EINVALID},
			{"unknown run", run.ID + 100, scoresFor(stored, "优", ruleHash), nil, jixiao.ENOTFOUND},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := d.SaveChunk(ctx, tt.runID, tt.scores, tt.rejected)
				wantCode(t, err, tt.code)
				for _, table := range []string{"scores", "run_scores", "run_rejections"} {
					if n := count(t, d, table); n != 0 {
						t.Errorf("%d rows in %s, want none", n, table)
					}
				}
				if r, _ := d.FindRun(ctx, run.ID); r.Scored != 0 || r.Rejected != 0 {
					t.Errorf("run counts %d %d, want 0", r.Scored, r.Rejected)
				}
			})
		}
	})
}

func TestRunLifecycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		at := time.Date(2025, 3, 2, 10, 0, 0, 123456789, time.UTC)

		running := []*jixiao.Run{newRun(t, d, jixiao.RunOfficial), newRun(t, d, jixiao.RunOfficial), newRun(t, d, jixiao.RunSimulation)}
		done := newRun(t, d, jixiao.RunOfficial)
		if err := d.FinishRun(ctx, done.ID, jixiao.RunDone, "", at); err != nil {
			t.Fatal(err)
		}
		failed := newRun(t, d, jixiao.RunOfficial)
		if err := d.FinishRun(ctx, failed.ID, jixiao.RunFailed, "磁盘已满", at); err != nil {
			t.Fatal(err)
		}
		wantCode(t, d.FinishRun(ctx, done.ID, "paused", "", at), jixiao.EINVALID)

		n, err := d.InterruptRunningRuns(ctx, at.Add(time.Minute))
		if err != nil || n != 3 {
			t.Fatalf("interrupted %d (%v), want 3", n, err)
		}
		if n, err := d.InterruptRunningRuns(ctx, at.Add(time.Minute)); err != nil || n != 0 {
			t.Fatalf("second call interrupted %d (%v), want 0", n, err)
		}
		status := func(id int64) *jixiao.Run {
			r, err := d.FindRun(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		for _, r := range running {
			got := status(r.ID)
			if got.Status != jixiao.RunInterrupted || got.FinishedAt == nil || !got.FinishedAt.Equal(at.Add(time.Minute).Truncate(time.Microsecond)) {
				t.Errorf("run %d: %s at %v", r.ID, got.Status, got.FinishedAt)
			}
		}
		if got := status(done.ID); got.Status != jixiao.RunDone || !got.FinishedAt.Equal(at.Truncate(time.Microsecond)) {
			t.Errorf("done run became %s at %v", got.Status, got.FinishedAt)
		}
		if got := status(failed.ID); got.Status != jixiao.RunFailed || got.Error != "磁盘已满" {
			t.Errorf("failed run: %+v", got)
		}

		// Reopening: interrupted and failed runs only.
		for _, id := range []int64{running[0].ID, failed.ID} {
			if err := d.ReopenRun(ctx, id); err != nil {
				t.Fatal(err)
			}
			if got := status(id); got.Status != jixiao.RunRunning || got.FinishedAt != nil || got.Error != "" {
				t.Errorf("reopened run: %+v", got)
			}
		}
		wantCode(t, d.ReopenRun(ctx, done.ID), jixiao.ECONFLICT)
		wantCode(t, d.ReopenRun(ctx, running[0].ID), jixiao.ECONFLICT)
	})
}

func TestScores(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		ps := testProjects(2024, 3, "住建局")
		ps = append(ps, testProject(2025, "P00001", "交通局"))
		stored := storeProjects(t, d, ps)

		official := newRun(t, d, jixiao.RunOfficial)
		mustSave(t, d, official.ID, scoresFor(stored[:3], "优", ruleHash), nil)
		later := newRun(t, d, jixiao.RunOfficial)
		regraded := scoresFor(stored[:1], "良", otherHash)
		regraded[0].RuleSetID = "hubei-self"
		mustSave(t, d, later.ID, append(regraded, scoresFor(stored[3:], "中", ruleHash)...), nil)
		sim := newRun(t, d, jixiao.RunSimulation)
		mustSave(t, d, sim.ID, scoresFor(stored[:1], "差", "0000000000000000000000000000000000000000000000000000000000000003"), nil)

		type row struct {
			project string
			year    int
			grade   string
			run     int64
		}
		rowsOf := func(ss []jixiao.ScoreRecord) []row {
			out := []row{}
			for _, s := range ss {
				out = append(out, row{s.ProjectID, s.Year, s.Grade, s.RunID})
			}
			return out
		}
		tests := []struct {
			name  string
			f     jixiao.ScoreFilter
			want  []row
			total int
		}{
			{"run", jixiao.ScoreFilter{RunID: official.ID}, []row{{"P00001", 2024, "优", official.ID}, {"P00002", 2024, "优", official.ID}, {"P00003", 2024, "优", official.ID}}, 3},
			{"run, page", jixiao.ScoreFilter{RunID: official.ID, Offset: 1, Limit: 1}, []row{{"P00002", 2024, "优", official.ID}}, 3},
			{"project", jixiao.ScoreFilter{ProjectID: "P00001"}, []row{{"P00001", 2024, "优", official.ID}, {"P00001", 2024, "良", later.ID}, {"P00001", 2025, "中", later.ID}, {"P00001", 2024, "差", sim.ID}}, 4},
			{"project and year", jixiao.ScoreFilter{ProjectID: "P00001", Year: 2025}, []row{{"P00001", 2025, "中", later.ID}}, 1},
			{"department", jixiao.ScoreFilter{Department: "交通局"}, []row{{"P00001", 2025, "中", later.ID}}, 1},
			{"grade", jixiao.ScoreFilter{Grade: "良"}, []row{{"P00001", 2024, "良", later.ID}}, 1},
			{"rule set", jixiao.ScoreFilter{RuleSetID: "hubei-self"}, []row{{"P00001", 2024, "良", later.ID}}, 1},
			{"run and grade", jixiao.ScoreFilter{RunID: later.ID, Grade: "中"}, []row{{"P00001", 2025, "中", later.ID}}, 1},
			{"none", jixiao.ScoreFilter{RunID: official.ID, Year: 2025}, []row{}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := d.FindScores(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(rowsOf(got), tt.want) || total != tt.total {
					t.Errorf("got %v (%d), want %v (%d)", rowsOf(got), total, tt.want, tt.total)
				}
			})
		}

		// The latest official score: the later run's for P00001 (not the
		// simulation's), the first run's for P00002.
		latest, err := d.LatestScore(ctx, stored[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		if latest.Grade != "良" || latest.RunID != later.ID || latest.Result.ProjectID != "P00001" {
			t.Errorf("latest score of P00001: %s from run %d", latest.Grade, latest.RunID)
		}
		if latest, err := d.LatestScore(ctx, stored[1].Key); err != nil || latest.Grade != "优" || latest.RunID != official.ID {
			t.Errorf("latest score of P00002: %+v, %v", latest, err)
		}

		one, err := d.FindScore(ctx, latest.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one, latest) {
			t.Errorf("FindScore\n%+v\nwant\n%+v", one, latest)
		}
		if one.Total != jixiao.Cents(9519) || len(one.Result.Indicators) != 4 {
			t.Errorf("score %d: total %s, %d indicators", one.ID, one.Total, len(one.Result.Indicators))
		}
	})
}

// TestProjectsAfter reads every selection a run can make in batches with
// ProjectsAfter and with FindProjects: the same projects, in key order.
func TestProjectsAfter(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		upsert := func(ps []jixiao.Project) {
			if _, err := d.UpsertProjects(ctx, ps); err != nil {
				t.Fatal(err)
			}
		}
		upsert(testProjects(2023, 7, "财政局"))
		upsert(testProjects(2024, 9, "住建局"))
		upsert(testProjects(2025, 4, "教育局")[2:]) // P00003, P00004 of another year
		maxKey, err := d.MaxProjectKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// An update after the run's start is read with its new body.
		up := testProject(2024, "P00002", "住建局")
		up.Name = "改名的项目"
		upsert([]jixiao.Project{up})

		filters := []jixiao.ProjectFilter{
			{},
			{MaxKey: maxKey},
			{MaxKey: maxKey - 3},
			{MaxKey: -1},
			{Year: 2024},
			{Department: "住建局"},
			{Year: 2023, Department: "财政局"},
			{IDs: []string{"P00002", "P00004", "P00009", "none"}},
			{IDs: []string{"P00003"}, Year: 2024},
			{Department: "无此部门"},
		}
		for _, f := range filters {
			for _, limit := range []int{1, 4, 1000} {
				read := func(name string, fn func(jixiao.ProjectFilter) ([]jixiao.StoredProject, error)) []jixiao.StoredProject {
					g := f
					g.Limit, g.AfterKey = limit, -1
					var all []jixiao.StoredProject
					for {
						batch, err := fn(g)
						if err != nil {
							t.Fatalf("%s %+v: %v", name, g, err)
						}
						if len(batch) > limit {
							t.Fatalf("%s %+v: %d projects, limit %d", name, g, len(batch), limit)
						}
						if len(batch) == 0 {
							return all
						}
						all = append(all, batch...)
						g.AfterKey = batch[len(batch)-1].Key
					}
				}
				got := read("ProjectsAfter", func(g jixiao.ProjectFilter) ([]jixiao.StoredProject, error) {
					return d.ProjectsAfter(ctx, g)
				})
				want := read("FindProjects", func(g jixiao.ProjectFilter) ([]jixiao.StoredProject, error) {
					out, _, err := d.FindProjects(ctx, g)
					return out, err
				})
				if len(got) != len(want) {
					t.Fatalf("%+v, limit %d: %d projects, FindProjects %d", f, limit, len(got), len(want))
				}
				for i := range got {
					if i > 0 && got[i].Key <= got[i-1].Key {
						t.Errorf("%+v: key %d after %d", f, got[i].Key, got[i-1].Key)
					}
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Errorf("%+v, limit %d, #%d:\n got %+v\nwant %+v", f, limit, i, got[i], want[i])
					}
				}
			}
		}

		// Offset, and a first read without AfterKey (FindProjects' order).
		all, err := d.ProjectsAfter(ctx, jixiao.ProjectFilter{AfterKey: -1})
		if err != nil {
			t.Fatal(err)
		}
		off, err := d.ProjectsAfter(ctx, jixiao.ProjectFilter{AfterKey: -1, Offset: 5, Limit: 3})
		if err != nil || len(off) != 3 || off[0].Key != all[5].Key {
			t.Errorf("offset 5, limit 3: %d projects (%v), want 3 from key %d", len(off), err, all[5].Key)
		}
		byYear, err := d.ProjectsAfter(ctx, jixiao.ProjectFilter{Limit: 2})
		want, _, _ := d.FindProjects(ctx, jixiao.ProjectFilter{Limit: 2})
		if err != nil || !reflect.DeepEqual(byYear, want) {
			t.Errorf("without AfterKey: %+v (%v), want %+v", byYear, err, want)
		}
		ids := make([]string, maxFilterIDs+1)
		if _, err := d.ProjectsAfter(ctx, jixiao.ProjectFilter{AfterKey: -1, IDs: ids}); jixiao.ErrorCode(err) != jixiao.EINVALID {
			t.Errorf("%d ids: %v, want EINVALID", len(ids), err)
		}
	})
}
