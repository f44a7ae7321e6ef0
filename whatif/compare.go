package whatif

import (
	"context"
	"sort"

	"jixiao"
	"jixiao/engine"
)

// Side is one project's outcome under one side of a comparison: its total
// and grade, or, when the rule set rejects it, the reasons and no grade.
type Side struct {
	Total    jixiao.Decimal `json:"total"`
	Grade    string         `json:"grade"`
	Rejected []string       `json:"rejected,omitempty"`
}

// scored reports whether the rule set scored the project.
func (s *Side) scored() bool { return s != nil && s.Rejected == nil }

// ProjectChange compares one project's outcome in the baseline and in the
// scenario. Delta (scenario − baseline) is set when both sides are scored.
// GradeChanged is true when the grades differ; a rejected side has no
// grade, so a project that becomes rejected, or stops being rejected,
// changes grade too.
type ProjectChange struct {
	ProjectID    string          `json:"project_id"`
	Name         string          `json:"name"`
	Year         int             `json:"year"`
	Baseline     *Side           `json:"baseline"`
	Scenario     *Side           `json:"scenario"`
	Delta        *jixiao.Decimal `json:"delta,omitempty"`
	GradeChanged bool            `json:"grade_changed"`
}

// Summary sums up a comparison.
type Summary struct {
	Projects int `json:"projects"`
	Compared int `json:"compared"` // scored on both sides

	// Grades are the grade labels from high to low: the scenario rule
	// set's bands, with any label only the baseline has put in place by
	// its band.
	Grades []string `json:"grades"`
	// Before and After count the projects scored on each side by grade;
	// every label of Grades is present.
	Before map[string]int `json:"before"`
	After  map[string]int `json:"after"`
	// Matrix[i][j] counts the compared projects graded Grades[i] in the
	// baseline and Grades[j] in the scenario.
	Matrix [][]int `json:"matrix"`
	// Changed lists the ids of the projects whose grade changed, in input
	// order (see ProjectChange.GradeChanged).
	Changed []string `json:"changed"`
	// ChangedTotal counts the projects whose grade changed when Changed
	// may be cut short: a Population lists at most MaxChangedIDs ids.
	// Zero and left out when Changed lists them all.
	ChangedTotal int `json:"changed_total,omitempty"`

	// Over the compared projects: the mean is rounded half-up; all three
	// are 0 when no project is compared.
	MeanDelta jixiao.Decimal `json:"mean_delta"`
	MinDelta  jixiao.Decimal `json:"min_delta"`
	MaxDelta  jixiao.Decimal `json:"max_delta"`

	RejectedBaseline int `json:"rejected_baseline"`
	RejectedScenario int `json:"rejected_scenario"`
}

// Report is the result of a comparison.
type Report struct {
	Baseline jixiao.RuleSetRef `json:"baseline"`
	Scenario jixiao.RuleSetRef `json:"scenario"`
	Projects []ProjectChange   `json:"projects"`
	Summary  Summary           `json:"summary"`
	// Page, for a Population, tells which changed projects Projects
	// lists; without it Projects lists every project.
	Page *Page `json:"page,omitempty"`
}

// Compare scores baseline under baselineRS and scenario under scenarioRS
// and compares them project by project. The two lists hold the same
// projects (id and year) in the same order, usually the official figures
// and their changed copies. A nil scenarioRS means baselineRS. workers is
// the number of goroutines per side, 0 for one per core.
func Compare(baselineRS, scenarioRS *engine.RuleSet, baseline, scenario []jixiao.Project, workers int) (Report, error) {
	return compare(context.Background(), baselineRS, scenarioRS, baseline, scenario, workers)
}

// Simulate applies the overrides to copies of projects and compares the
// projects as they are, under baselineRS, with the copies under
// scenarioRS (nil: baselineRS). It stops early when ctx is cancelled.
func Simulate(ctx context.Context, baselineRS, scenarioRS *engine.RuleSet, projects []jixiao.Project, overrides []Override) (Report, error) {
	changed, err := Apply(projects, overrides)
	if err != nil {
		return Report{}, err
	}
	return compare(ctx, baselineRS, scenarioRS, projects, changed, 0)
}

func compare(ctx context.Context, baselineRS, scenarioRS *engine.RuleSet, baseline, scenario []jixiao.Project, workers int) (Report, error) {
	if baselineRS == nil {
		return Report{}, jixiao.Errorf(jixiao.EINVALID, "compare: no baseline rule set")
	}
	if scenarioRS == nil {
		scenarioRS = baselineRS
	}
	if len(baseline) != len(scenario) {
		return Report{}, jixiao.Errorf(jixiao.EINVALID, "compare: %d baseline projects but %d scenario projects", len(baseline), len(scenario))
	}
	for i := range baseline {
		b, s := &baseline[i], &scenario[i]
		if b.ID != s.ID || b.Year != s.Year {
			return Report{}, jixiao.Errorf(jixiao.EINVALID, "compare: project %d is %s (%d) in the baseline but %s (%d) in the scenario", i+1, b.ID, b.Year, s.ID, s.Year)
		}
	}
	before, err := scoreSides(ctx, baselineRS, baseline, workers)
	if err != nil {
		return Report{}, err
	}
	after, err := scoreSides(ctx, scenarioRS, scenario, workers)
	if err != nil {
		return Report{}, err
	}

	rep := Report{Baseline: baselineRS.Ref(), Scenario: scenarioRS.Ref(), Projects: make([]ProjectChange, len(baseline))}
	grades := gradeOrder(scenarioRS, baselineRS)
	row := make(map[string]int, len(grades))
	for i, g := range grades {
		row[g] = i
	}
	sum := Summary{
		Projects: len(baseline),
		Grades:   grades,
		Before:   make(map[string]int, len(grades)),
		After:    make(map[string]int, len(grades)),
		Matrix:   make([][]int, len(grades)),
		Changed:  []string{},
	}
	for i, g := range grades {
		sum.Before[g], sum.After[g] = 0, 0
		sum.Matrix[i] = make([]int, len(grades))
	}
	var total jixiao.Decimal
	for i := range baseline {
		b, s := &before[i], &after[i]
		pc := ProjectChange{ProjectID: baseline[i].ID, Name: baseline[i].Name, Year: baseline[i].Year, Baseline: b, Scenario: s}
		if b.scored() {
			sum.Before[b.Grade]++
		} else {
			sum.RejectedBaseline++
		}
		if s.scored() {
			sum.After[s.Grade]++
		} else {
			sum.RejectedScenario++
		}
		if b.scored() && s.scored() {
			d := s.Total - b.Total
			pc.Delta = &d
			if sum.Compared == 0 || d < sum.MinDelta {
				sum.MinDelta = d
			}
			if sum.Compared == 0 || d > sum.MaxDelta {
				sum.MaxDelta = d
			}
			sum.Compared++
			total += d
			r, okr := row[b.Grade]
			c, okc := row[s.Grade]
			if okr && okc {
				sum.Matrix[r][c]++
			}
		}
		pc.GradeChanged = b.Grade != s.Grade
		if pc.GradeChanged {
			sum.Changed = append(sum.Changed, pc.ProjectID)
		}
		rep.Projects[i] = pc
	}
	if sum.Compared > 0 {
		sum.MeanDelta = total.MulDiv(1, int64(sum.Compared))
	}
	rep.Summary = sum
	return rep, nil
}

// gradeOrder returns the grade labels of the rule sets from the highest
// band to the lowest: those of primary, then those only secondary has,
// each placed by the lower end of its band.
func gradeOrder(primary, secondary *engine.RuleSet) []string {
	type band struct {
		label string
		from  jixiao.Decimal
		order int
	}
	var bands []band
	seen := map[string]bool{}
	for _, rs := range []*engine.RuleSet{primary, secondary} {
		for _, b := range rs.File().Grades {
			if seen[b.Grade.Value] {
				continue
			}
			seen[b.Grade.Value] = true
			bands = append(bands, band{b.Grade.Value, b.From.Value, len(bands)})
		}
	}
	sort.SliceStable(bands, func(i, j int) bool {
		if bands[i].from != bands[j].from {
			return bands[i].from > bands[j].from
		}
		return bands[i].order < bands[j].order
	})
	out := make([]string, len(bands))
	for i, b := range bands {
		out[i] = b.label
	}
	return out
}

// scoreSides scores every project, totals and grades only, and returns
// one Side per project, in input order.
func scoreSides(ctx context.Context, rs *engine.RuleSet, projects []jixiao.Project, workers int) ([]Side, error) {
	results, rejected, err := rs.ScoreEach(ctx, projects, engine.Batch{Workers: workers, ScoresOnly: true})
	if err != nil {
		return nil, err
	}
	out := make([]Side, len(projects))
	for i := range projects {
		if r := rejected[i]; r != nil {
			errs := r.Errors
			if len(errs) == 0 {
				errs = []string{"rejected"}
			}
			out[i] = Side{Rejected: errs}
		} else {
			out[i] = Side{Total: results[i].Total, Grade: results[i].Grade}
		}
	}
	return out, nil
}

func side(sc *engine.Scorer, p *jixiao.Project) Side {
	res, rej := sc.Score(p)
	if rej != nil {
		errs := rej.Errors
		if len(errs) == 0 {
			errs = []string{"rejected"}
		}
		return Side{Rejected: errs}
	}
	return Side{Total: res.Total, Grade: res.Grade}
}
