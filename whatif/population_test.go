package whatif

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"

	"jixiao"
	"jixiao/engine"
)

// variants returns n projects made from the Huaihua ones with other
// spending and indicator results, a few in another year or with a
// negative amount (rejected by some rule sets), so that grades spread.
func variants(t testing.TB, n int) []jixiao.Project {
	t.Helper()
	base := huaihua(t)
	r := rand.New(rand.NewPCG(7, 11))
	out := make([]jixiao.Project, n)
	for i := range out {
		p := base[i%len(base)]
		p.ID = fmt.Sprintf("V%05d", i)
		p.Spent = p.BudgetAdjusted.MulDiv(int64(r.IntN(1200)), 1000)
		p.Balance, p.ExecutionRate = nil, nil
		p.Indicators = slices.Clone(p.Indicators)
		for j := range p.Indicators {
			ind := &p.Indicators[j]
			if ind.Target != nil && ind.Actual != nil && r.IntN(3) == 0 {
				v := *ind.Target * float64(r.IntN(110)) / 100
				ind.Actual = &v
			}
		}
		switch r.IntN(50) {
		case 0:
			p.Year = 2023
		case 1:
			p.Spent = -p.Spent - 1
		}
		out[i] = p
	}
	return out
}

// streamed runs a Population over projects in chunks of the given size.
func streamed(t testing.TB, base, scen *engine.RuleSet, projects []jixiao.Project, overrides []Override, chunk int, opt PopulationOptions) (Report, error) {
	t.Helper()
	pop, err := NewPopulation(base, scen, overrides, opt)
	if err != nil {
		return Report{}, err
	}
	for lo := 0; lo < len(projects); lo += chunk {
		if err := pop.Add(context.Background(), projects[lo:min(lo+chunk, len(projects))]); err != nil {
			return Report{}, err
		}
	}
	return pop.Report()
}

// inPageOrder returns the changed projects of an in-memory report in
// PageOrder.
func inPageOrder(rep Report) []ProjectChange {
	var out []ProjectChange
	var ranks []rank
	for i, pc := range rep.Projects {
		r := rank{class: 1, abs: 1<<63 - 1, seq: i}
		switch {
		case pc.GradeChanged:
			r.class = 0
		case pc.Delta == nil || *pc.Delta == 0:
			r.class = 2 // unchanged, after the changed ones
		}
		if pc.Delta != nil || r.class == 2 {
			r.abs = 0
			if pc.Delta != nil {
				r.abs = abs64(int64(*pc.Delta))
			}
		}
		out = append(out, pc)
		ranks = append(ranks, r)
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ranks[idx[a]].before(ranks[idx[b]]) })
	sorted := make([]ProjectChange, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted
}

// The streamed summary and matrix equal those of the in-memory
// comparison, whatever the chunk size; the pages, followed by their
// cursors, list every project once, the changed ones first, in PageOrder.
func TestPopulationEqualsSimulate(t *testing.T) {
	projects := variants(t, 3000)
	cn, hubei, jx := loadRS(t, "cn-mof-2020-self"), loadRS(t, "hubei-self"), loadRS(t, "jiangxi-self")
	other := loadText(t, "other.yaml", withGrades(t, "cn-other", `
  - {grade: 丙, from: 0, to: 80}
  - {grade: 乙, from: 80, to: 95}
  - {grade: 甲, from: 95, to: 100}
`))
	for _, tt := range []struct {
		name       string
		base, scen *engine.RuleSet
		overrides  []Override
	}{
		{"hubei", cn, hubei, nil},
		{"jiangxi spent cut", cn, jx, []Override{{Field: FieldSpent, Percent: fp(-15)}}},
		{"other grades", hubei, other, []Override{{Field: FieldIndicatorActual, Percent: fp(-20)}, {ProjectIDs: []string{"V00007", "V02999"}, Field: FieldSpent, Set: num("0")}}},
		{"identity", cn, nil, nil},
		{"a few projects", cn, nil, []Override{{ProjectIDs: []string{"V00007", "V01234", "V02000"}, Field: FieldSpent, Percent: fp(-60)}}},
		{"one year", cn, nil, []Override{{Year: 2023, Field: FieldIndicatorActual, Percent: fp(-40)}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want, err := Simulate(context.Background(), tt.base, tt.scen, projects, tt.overrides)
			if err != nil {
				t.Fatal(err)
			}
			wantSum := want.Summary
			wantSum.ChangedTotal = len(wantSum.Changed)
			if len(wantSum.Changed) > MaxChangedIDs {
				wantSum.Changed = wantSum.Changed[:MaxChangedIDs]
			}
			wantPage := inPageOrder(want)
			for _, chunk := range []int{1, 77, 1000, 5000} {
				got, err := streamed(t, tt.base, tt.scen, projects, tt.overrides, chunk, PopulationOptions{PerPage: MaxPerPage})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Summary, wantSum) {
					t.Fatalf("chunks of %d: summary\n%+v\nwant\n%+v", chunk, got.Summary, wantSum)
				}
				if got.Baseline != want.Baseline || got.Scenario != want.Scenario || got.Page.Listed != len(wantPage) {
					t.Errorf("chunks of %d: %+v %+v, page %+v, want %d listed", chunk, got.Baseline, got.Scenario, got.Page, len(wantPage))
				}
				if n := min(len(wantPage), MaxPerPage); !reflect.DeepEqual(got.Projects, wantPage[:n]) {
					t.Errorf("chunks of %d: first page differs", chunk)
				}
			}

			// Page by page.
			var all []ProjectChange
			cursor := ""
			for pages := 0; ; pages++ {
				got, err := streamed(t, tt.base, tt.scen, projects, tt.overrides, 500, PopulationOptions{PerPage: 97, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, got.Projects...)
				if got.Page.NextCursor == "" {
					break
				}
				if len(got.Projects) != 97 || pages > 100 {
					t.Fatalf("page %d: %d projects, next %q", pages, len(got.Projects), got.Page.NextCursor)
				}
				cursor = got.Page.NextCursor
			}
			if len(all) != len(wantPage) || (len(all) > 0 && !reflect.DeepEqual(all, wantPage)) {
				t.Errorf("paged: %d projects, want %d", len(all), len(wantPage))
			}
		})
	}
}

// Each sees every changed project in input order.
func TestPopulationEach(t *testing.T) {
	projects := variants(t, 600)
	cn, hubei := loadRS(t, "cn-mof-2020-self"), loadRS(t, "hubei-self")
	want, err := Compare(cn, hubei, projects, projects, 0)
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs, gotIDs []string
	for _, pc := range want.Projects {
		if pc.GradeChanged || (pc.Delta != nil && *pc.Delta != 0) {
			wantIDs = append(wantIDs, pc.ProjectID)
		}
	}
	_, err = streamed(t, cn, hubei, projects, nil, 64, PopulationOptions{PerPage: 1, Each: func(pc *ProjectChange) error {
		gotIDs = append(gotIDs, pc.ProjectID)
		return nil
	}})
	if err != nil || !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("each: %d ids, want %d (%v)", len(gotIDs), len(wantIDs), err)
	}
	stop := errors.New("stop")
	_, err = streamed(t, cn, hubei, projects, nil, 64, PopulationOptions{Each: func(*ProjectChange) error { return stop }})
	if !errors.Is(err, stop) {
		t.Errorf("error %v, want the one Each returned", err)
	}
}

// Checks that need every project are made at the end, as Apply makes
// them; bad options are refused with the field named.
func TestPopulationErrors(t *testing.T) {
	projects := variants(t, 200)
	cn := loadRS(t, "cn-mof-2020-self")
	for _, tt := range []struct {
		name      string
		overrides []Override
		opt       PopulationOptions
		field     string
	}{
		{"unknown id", []Override{{ProjectIDs: []string{"NOPE"}, Field: FieldSpent, Percent: fp(1)}}, PopulationOptions{}, "overrides[0].project_ids"},
		{"selects none", []Override{{Department: "无此部门", Field: FieldSpent, Percent: fp(1)}}, PopulationOptions{}, "overrides[0].field"},
		{"no such indicator", []Override{{Field: FieldIndicatorActual, Indicator: "无此指标", Percent: fp(1)}}, PopulationOptions{}, "overrides[0].indicator"},
		{"bad field", []Override{{Field: "spnt", Percent: fp(1)}}, PopulationOptions{}, "overrides[0].field"},
		{"per_page", nil, PopulationOptions{PerPage: MaxPerPage + 1}, "per_page"},
		{"cursor", nil, PopulationOptions{Cursor: "xyz"}, "cursor"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := streamed(t, cn, nil, projects, tt.overrides, 50, tt.opt)
			var e *jixiao.Error
			if !errors.As(err, &e) || e.Code != jixiao.EINVALID || len(e.Details) == 0 || e.Details[0].Field != tt.field {
				t.Errorf("error %#v, want one for %s", err, tt.field)
			}
			if tt.field == "per_page" || tt.field == "cursor" {
				return
			}
			_, want := Simulate(context.Background(), cn, nil, projects, tt.overrides)
			if err.Error() != want.Error() {
				t.Errorf("error %q, Simulate says %q", err, want)
			}
		})
	}
}

func TestPopulationCancelled(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	pop, err := NewPopulation(cn, nil, nil, PopulationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := pop.Add(ctx, variants(t, 100)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := pop.Add(ctx, variants(t, 1000)); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
