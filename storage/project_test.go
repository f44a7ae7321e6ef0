package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"jixiao"
)

func TestInputHash(t *testing.T) {
	p := testProject(2024, "P1", "住建局")
	hash, body, err := InputHash(&p)
	if err != nil {
		t.Fatal(err)
	}
	if len(hash) != 64 {
		t.Fatalf("hash %q is not hex SHA-256", hash)
	}
	want, _ := json.Marshal(p)
	if string(body) != string(want) {
		t.Fatalf("body is not json.Marshal of the project:\n%s\n%s", body, want)
	}
	// Decoding the body and hashing again gives the same hash: the
	// stored input verifies.
	var back jixiao.Project
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatal(err)
	}
	if again, _, _ := InputHash(&back); again != hash {
		t.Fatalf("hash after a round trip %s, want %s", again, hash)
	}
	p.Spent++
	if other, _, _ := InputHash(&p); other == hash {
		t.Fatal("a different project has the same hash")
	}
}

func TestUpsertProjects(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		clk := newClock(d)
		ctx := context.Background()

		changed := testProject(2024, "P00002", "住建局")
		changed.Spent = jixiao.Cents(1)
		moved := testProject(2024, "P00003", "交通局") // a new department is a change too

		steps := []struct {
			name     string
			projects []jixiao.Project
			want     jixiao.Upserted
			total    int   // projects stored after the step
			inputs   int64 // inputs stored after the step
		}{
			{"create", testProjects(2024, 3, "住建局"), jixiao.Upserted{Created: 3}, 3, 3},
			{"same again", testProjects(2024, 3, "住建局"), jixiao.Upserted{Unchanged: 3}, 3, 3},
			{"mixed", []jixiao.Project{testProject(2024, "P00001", "住建局"), changed, moved, testProject(2025, "P00001", "住建局")},
				jixiao.Upserted{Created: 1, Updated: 2, Unchanged: 1}, 4, 6},
			{"empty", nil, jixiao.Upserted{}, 4, 6},
		}
		for _, st := range steps {
			clk.tick()
			got, err := d.UpsertProjects(ctx, st.projects)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got != st.want {
				t.Errorf("%s: got %+v, want %+v", st.name, got, st.want)
			}
			if _, total, err := d.FindProjects(ctx, jixiao.ProjectFilter{}); err != nil || total != st.total {
				t.Errorf("%s: %d projects stored (%v), want %d", st.name, total, err, st.total)
			}
			if n := count(t, d, "project_inputs"); n != st.inputs {
				t.Errorf("%s: %d inputs stored, want %d", st.name, n, st.inputs)
			}
		}

		// An update keeps created_at, moves updated_at and the input hash, and
		// the old input stays readable by its hash.
		first := testProject(2024, "P00002", "住建局")
		oldHash, _, _ := InputHash(&first)
		sp, err := d.FindProject(ctx, 2024, "P00002")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sp.Project, changed) {
			t.Errorf("stored project differs from the upserted one:\n%+v\n%+v", sp.Project, changed)
		}
		start := time.Date(2025, 3, 1, 9, 0, 1, 0, time.UTC)
		if !sp.CreatedAt.Equal(start) || !sp.UpdatedAt.Equal(start.Add(2*time.Second)) {
			t.Errorf("created %v updated %v; want %v and 2s later", sp.CreatedAt, sp.UpdatedAt, start)
		}
		if sp.InputHash == oldHash {
			t.Error("input hash did not change")
		}
		old, err := d.FindInput(ctx, oldHash)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*old, first) {
			t.Errorf("old input %+v, want %+v", *old, first)
		}
		if p, err := d.FindProject(ctx, 2024, "P00003"); err != nil || p.Project.Department != "交通局" {
			t.Errorf("moved project: %+v, %v", p, err)
		}
	})
}

// TestUpsertProjectsAllOrNothing checks that a batch that fails stores
// nothing, whether the failure is found before writing or by the
// database in the middle of the batch.
func TestUpsertProjectsAllOrNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		if _, err := d.UpsertProjects(ctx, testProjects(2023, 5, "住建局")); err != nil {
			t.Fatal(err)
		}
		// The database refuses one project in the second INSERT batch: the
		// inputs and the first batch were written by then.
		refuse := `CREATE TRIGGER refuse BEFORE INSERT ON projects WHEN NEW.project_id = 'P00777'
		BEGIN SELECT RAISE(ABORT, 'refused'); END`
		if d.postgres {
			refuse = `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.project_id = 'P00777' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
			CREATE TRIGGER refuse BEFORE INSERT ON projects FOR EACH ROW EXECUTE FUNCTION refuse()`
		}
		if err := d.w.Exec(refuse).Error; err != nil {
			t.Fatal(err)
		}

		noID := testProjects(2024, 3, "住建局")
		noID[1].ID = ""
		dup := testProjects(2024, 3, "住建局")
		dup[2].ID = dup[0].ID
		noYear := testProjects(2024, 3, "住建局")
		noYear[2].Year = 0
		updated := testProjects(2023, 5, "住建局")
		updated[0].Name = "改名"

		tests := []struct {
			name     string
			projects []jixiao.Project
			code     string
		}{
			{"missing id", noID, jixiao.EINVALID},
			{"duplicate id", dup, jixiao.EINVALID},
			{"missing year", noYear, jixiao.EINVALID},
			{"refused mid-batch", append(updated, testProjects(2024, 1000, "住建局")...), jixiao.EINTERNAL},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := d.UpsertProjects(ctx, tt.projects)
				wantCode(t, err, tt.code)
				if _, total, err := d.FindProjects(ctx, jixiao.ProjectFilter{}); err != nil || total != 5 {
					t.Errorf("%d projects stored (%v), want the 5 from before", total, err)
				}
				if n := count(t, d, "project_inputs"); n != 5 {
					t.Errorf("%d inputs stored, want 5", n)
				}
				if p, err := d.FindProject(ctx, 2023, "P00001"); err != nil || p.Project.Name != "项目 P00001" {
					t.Errorf("the update of P00001 was kept: %+v, %v", p, err)
				}
			})
		}
	})
}

func TestFindProjects(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		// Stored out of order, so that key order and (year, id) order differ.
		var all []jixiao.Project
		all = append(all, testProjects(2025, 4, "交通局")...)
		all = append(all, testProjects(2024, 6, "住建局")...)
		for i := range all[4:7] {
			all[4+i].Department = "交通局"
		}
		stored := storeProjects(t, d, all)
		byID := map[string]int64{}
		for _, sp := range stored {
			byID[fmt.Sprintf("%d/%s", sp.Project.Year, sp.Project.ID)] = sp.Key
		}

		// Grades: an official run grades 2024 P00001–P00003 优 and P00004 良;
		// a later official run regrades P00002 差 (under another rule set);
		// a later simulation run, which does not count, says P00003 差.
		sp2024 := stored[:6] // storeProjects returns (year, id) order
		run1 := newRun(t, d, jixiao.RunOfficial)
		scores := scoresFor(sp2024[:3], "优", ruleHash)
		scores = append(scores, scoresFor(sp2024[3:4], "良", ruleHash)...)
		mustSave(t, d, run1.ID, scores, nil)
		run2 := newRun(t, d, jixiao.RunOfficial)
		mustSave(t, d, run2.ID, scoresFor(sp2024[1:2], "差", otherHash), nil)
		sim := newRun(t, d, jixiao.RunSimulation)
		mustSave(t, d, sim.ID, scoresFor(sp2024[2:3], "差", otherHash), nil)
		// A repeat of run 1 links to its scores: P00002 is 优 again, though
		// its 差 score has the higher id.
		run3 := newRun(t, d, jixiao.RunOfficial)

		ids := func(ps []jixiao.StoredProject) []string {
			out := make([]string, len(ps))
			for i, sp := range ps {
				out[i] = fmt.Sprintf("%d/%s", sp.Project.Year, sp.Project.ID)
			}
			return out
		}
		tests := []struct {
			name  string
			f     jixiao.ProjectFilter
			want  []string
			total int
		}{
			{"all", jixiao.ProjectFilter{}, []string{"2024/P00001", "2024/P00002", "2024/P00003", "2024/P00004", "2024/P00005", "2024/P00006", "2025/P00001", "2025/P00002", "2025/P00003", "2025/P00004"}, 10},
			{"year", jixiao.ProjectFilter{Year: 2025}, []string{"2025/P00001", "2025/P00002", "2025/P00003", "2025/P00004"}, 4},
			{"department", jixiao.ProjectFilter{Department: "交通局"}, []string{"2024/P00001", "2024/P00002", "2024/P00003", "2025/P00001", "2025/P00002", "2025/P00003", "2025/P00004"}, 7},
			{"year and department", jixiao.ProjectFilter{Year: 2024, Department: "住建局"}, []string{"2024/P00004", "2024/P00005", "2024/P00006"}, 3},
			{"ids in any year", jixiao.ProjectFilter{IDs: []string{"P00004", "P00009"}}, []string{"2024/P00004", "2025/P00004"}, 2},
			{"ids in a year", jixiao.ProjectFilter{Year: 2024, IDs: []string{"P00004", "P00001"}}, []string{"2024/P00001", "2024/P00004"}, 2},
			{"grade", jixiao.ProjectFilter{Grade: "优"}, []string{"2024/P00001", "2024/P00003"}, 2},
			{"grade regraded", jixiao.ProjectFilter{Grade: "差"}, []string{"2024/P00002"}, 1},
			{"grade and department", jixiao.ProjectFilter{Grade: "良", Department: "住建局"}, []string{"2024/P00004"}, 1},
			{"no match", jixiao.ProjectFilter{Year: 2030}, []string{}, 0},
			{"page", jixiao.ProjectFilter{Offset: 2, Limit: 3}, []string{"2024/P00003", "2024/P00004", "2024/P00005"}, 10},
			{"last page", jixiao.ProjectFilter{Year: 2025, Offset: 3, Limit: 3}, []string{"2025/P00004"}, 4},
			{"past the end", jixiao.ProjectFilter{Offset: 20, Limit: 3}, []string{}, 10},
			{"limit only", jixiao.ProjectFilter{Limit: 1}, []string{"2024/P00001"}, 10},
			// Keyset: key order, which here is storage order (2025 first).
			{"after key", jixiao.ProjectFilter{AfterKey: byID["2025/P00004"], Limit: 2}, []string{"2024/P00001", "2024/P00002"}, 6},
			{"after key, filtered", jixiao.ProjectFilter{AfterKey: byID["2025/P00002"], Department: "交通局"}, []string{"2025/P00003", "2025/P00004", "2024/P00001", "2024/P00002", "2024/P00003"}, 5},
			{"from the first key", jixiao.ProjectFilter{AfterKey: -1, Limit: 2}, []string{"2025/P00001", "2025/P00002"}, 10},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := d.FindProjects(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(got), tt.want) || total != tt.total {
					t.Errorf("got %v (total %d), want %v (total %d)", ids(got), total, tt.want, tt.total)
				}
			})
		}

		// After run 3 repeats run 1 for P00002, its latest grade is 优 again.
		mustSave(t, d, run3.ID, scoresFor(sp2024[1:2], "优", ruleHash), nil)
		if got, _, _ := d.FindProjects(ctx, jixiao.ProjectFilter{Grade: "差"}); len(got) != 0 {
			t.Errorf("after run 3, 差: %v, want none", ids(got))
		}

		// Reading every project in batches by key, starting from key 0.
		var seen []string
		f := jixiao.ProjectFilter{AfterKey: -1, Limit: 3}
		for {
			page, _, err := d.FindProjects(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			seen = append(seen, ids(page)...)
			f.AfterKey = page[len(page)-1].Key
		}
		if len(seen) != 10 {
			t.Errorf("batch reading saw %d projects: %v", len(seen), seen)
		}

		if _, _, err := d.FindProjects(ctx, jixiao.ProjectFilter{IDs: make([]string, maxFilterIDs+1)}); jixiao.ErrorCode(err) != jixiao.EINVALID {
			t.Errorf("too many ids: %v, want invalid", err)
		}
	})
}

const otherHash = "0000000000000000000000000000000000000000000000000000000000000002"

func mustSave(tb testing.TB, d *DB, runID int64, scores []jixiao.ScoreRecord, rejected []jixiao.RunRejection) int {
	tb.Helper()
	n, err := d.SaveChunk(context.Background(), runID, scores, rejected)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
