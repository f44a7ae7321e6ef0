package whatif

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"jixiao"
)

// checkSummary recomputes the summary from the per-project results and
// compares: the matrix, the distributions and the list of changes must
// agree with what each project did.
func checkSummary(t *testing.T, rep Report) {
	t.Helper()
	s := rep.Summary
	idx := map[string]int{}
	for i, g := range s.Grades {
		idx[g] = i
	}
	n := len(s.Grades)
	matrix := make([][]int, n)
	for i := range matrix {
		matrix[i] = make([]int, n)
	}
	before, after := map[string]int{}, map[string]int{}
	for _, g := range s.Grades {
		before[g], after[g] = 0, 0
	}
	changed := []string{}
	compared, rejB, rejS := 0, 0, 0
	var sum, lo, hi jixiao.Decimal
	for _, pc := range rep.Projects {
		b, sc := pc.Baseline, pc.Scenario
		if b.Rejected == nil {
			before[b.Grade]++
		} else {
			rejB++
		}
		if sc.Rejected == nil {
			after[sc.Grade]++
		} else {
			rejS++
		}
		both := b.Rejected == nil && sc.Rejected == nil
		if both {
			matrix[idx[b.Grade]][idx[sc.Grade]]++
			d := sc.Total - b.Total
			if pc.Delta == nil || *pc.Delta != d {
				t.Errorf("%s: delta %v, want %s", pc.ProjectID, pc.Delta, d)
			}
			if compared == 0 || d < lo {
				lo = d
			}
			if compared == 0 || d > hi {
				hi = d
			}
			sum += d
			compared++
		} else if pc.Delta != nil {
			t.Errorf("%s: delta %s although a side is rejected", pc.ProjectID, *pc.Delta)
		}
		if pc.GradeChanged != (b.Grade != sc.Grade) {
			t.Errorf("%s: grade_changed %v for %q → %q", pc.ProjectID, pc.GradeChanged, b.Grade, sc.Grade)
		}
		if pc.GradeChanged {
			changed = append(changed, pc.ProjectID)
		}
	}
	if !reflect.DeepEqual(matrix, s.Matrix) {
		t.Errorf("matrix %v does not agree with the projects: %v", s.Matrix, matrix)
	}
	if !reflect.DeepEqual(before, s.Before) || !reflect.DeepEqual(after, s.After) {
		t.Errorf("distributions %v → %v do not agree with the projects: %v → %v", s.Before, s.After, before, after)
	}
	if !slices.Equal(changed, s.Changed) {
		t.Errorf("changed %v, projects say %v", s.Changed, changed)
	}
	// The off-diagonal of the matrix is the compared projects that changed.
	off := 0
	for i := range matrix {
		for j := range matrix[i] {
			if i != j {
				off += matrix[i][j]
			}
		}
	}
	changedCompared := 0
	for _, pc := range rep.Projects {
		if pc.GradeChanged && pc.Delta != nil {
			changedCompared++
		}
	}
	if off != changedCompared {
		t.Errorf("matrix has %d projects off the diagonal, %d compared projects changed grade", off, changedCompared)
	}
	var mean jixiao.Decimal
	if compared > 0 {
		mean = sum.MulDiv(1, int64(compared))
	}
	if s.Projects != len(rep.Projects) || s.Compared != compared || s.RejectedBaseline != rejB || s.RejectedScenario != rejS ||
		s.MinDelta != lo || s.MaxDelta != hi || s.MeanDelta != mean {
		t.Errorf("summary %+v; projects say compared %d, rejected %d/%d, delta %s..%s mean %s", s, compared, rejB, rejS, lo, hi, mean)
	}
}

// matrixText renders the grade matrix as a tab-separated table: rows
// are the baseline grades, columns the scenario grades.
func matrixText(s Summary) string {
	var b strings.Builder
	b.WriteString("基准＼情景")
	for _, g := range s.Grades {
		b.WriteString("\t" + g)
	}
	b.WriteString("\t合计\n")
	cols := make([]int, len(s.Grades))
	for i, g := range s.Grades {
		b.WriteString(g)
		sum := 0
		for j, n := range s.Matrix[i] {
			fmt.Fprintf(&b, "\t%d", n)
			sum += n
			cols[j] += n
		}
		fmt.Fprintf(&b, "\t%d\n", sum)
	}
	b.WriteString("合计")
	for _, n := range cols {
		fmt.Fprintf(&b, "\t%d", n)
	}
	fmt.Fprintf(&b, "\t%d\n", s.Compared)
	fmt.Fprintf(&b, "变动：%s\n", strings.Join(s.Changed, ", "))
	fmt.Fprintf(&b, "分差：平均 %s，最小 %s，最大 %s；未评分：基准 %d，情景 %d\n", s.MeanDelta, s.MinDelta, s.MaxDelta, s.RejectedBaseline, s.RejectedScenario)
	return b.String()
}

// matrixOf builds a grade matrix over 优 良 中 差 from the non-zero cells.
func matrixOf(cells map[[2]int]int) [][]int {
	m := make([][]int, 4)
	for i := range m {
		m[i] = make([]int, 4)
	}
	for c, n := range cells {
		m[c[0]][c[1]] = n
	}
	return m
}

var fourGrades = []string{"优", "良", "中", "差"}

// Cutting every project's spent on the Huaihua data under
// cn-mof-2020-self. Every project scores 99.13 or more as reported, with
// all its indicators met; the execution score (10 points) is the only
// part that moves, so a cut of 15% (R to about 85%) costs about 1.5
// points — 2.14 for HH2024-14 and HH2024-16, which have no 效益指标 and
// are rescaled from 70 points — and no project comes near 90: nobody
// changes grade. Only below R = 30% do those two fall to 良; the others
// keep at least 90 even with nothing spent.
func TestHuaihuaSpentCut(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	tests := []struct {
		name    string
		percent float64
		after   map[string]string // scenario totals
		changed []string
		matrix  [][]int
		mean    string
		golden  string
	}{
		{
			name: "-15%", percent: -15,
			after: map[string]string{
				"HH2024-01": "97.76", "HH2024-02": "98.47", "HH2024-03": "98.50", "HH2024-04": "98.50",
				"HH2024-05": "98.50", "HH2024-06": "98.50", "HH2024-07": "98.50", "HH2024-08": "98.50",
				"HH2024-09": "98.49", "HH2024-10": "98.50", "HH2024-11": "98.50", "HH2024-12": "98.50",
				"HH2024-13": "98.50", "HH2024-14": "97.86", "HH2024-15": "98.50", "HH2024-16": "97.86",
				"HH2024-17": "98.46", "HH2024-18": "98.50", "HH2024-19": "98.50", "HH2024-20": "98.50",
				"HH2024-21": "98.50", "HH2024-22": "98.04", "HH2024-23": "98.02", "HH2024-24": "98.44",
				"HH2024-25": "98.50", "HH2024-26": "98.50",
			},
			changed: []string{},
			matrix:  matrixOf(map[[2]int]int{{0, 0}: 26}),
			mean:    "-1.54",
			golden:  "huaihua-cn-mof-spent-minus15",
		},
		{
			name: "-70% keeps everyone at 90 or more", percent: -70,
			after:   map[string]string{"HH2024-01": "92.74", "HH2024-14": "90.00", "HH2024-16": "90.00"},
			changed: []string{},
			matrix:  matrixOf(map[[2]int]int{{0, 0}: 26}),
			mean:    "-7.17",
		},
		{
			name: "-75% moves the two projects without 效益指标", percent: -75,
			after:   map[string]string{"HH2024-01": "92.28", "HH2024-14": "89.29", "HH2024-16": "89.29"},
			changed: []string{"HH2024-14", "HH2024-16"},
			matrix:  matrixOf(map[[2]int]int{{0, 0}: 24, {0, 1}: 2}),
			mean:    "-7.69",
			golden:  "huaihua-cn-mof-spent-minus75",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			projects := huaihua(t)
			before := snapshot(t, projects)
			rep, err := Simulate(context.Background(), cn, nil, projects, []Override{{Field: FieldSpent, Percent: &tt.percent}})
			if err != nil {
				t.Fatal(err)
			}
			if snapshot(t, projects) != before {
				t.Fatal("Simulate changed the projects")
			}
			checkSummary(t, rep)
			for _, pc := range rep.Projects {
				if want, ok := tt.after[pc.ProjectID]; ok && pc.Scenario.Total.String() != want {
					t.Errorf("%s: scenario total %s, want %s", pc.ProjectID, pc.Scenario.Total, want)
				}
				if pc.Baseline.Grade != "优" {
					t.Errorf("%s: baseline grade %s", pc.ProjectID, pc.Baseline.Grade)
				}
			}
			s := rep.Summary
			if !slices.Equal(s.Changed, tt.changed) {
				t.Errorf("changed %v, want %v", s.Changed, tt.changed)
			}
			if !reflect.DeepEqual(s.Matrix, tt.matrix) {
				t.Errorf("matrix %v, want %v", s.Matrix, tt.matrix)
			}
			if !slices.Equal(s.Grades, fourGrades) {
				t.Errorf("grades %v", s.Grades)
			}
			if s.MeanDelta.String() != tt.mean || s.Compared != 26 || s.RejectedScenario != 0 {
				t.Errorf("mean delta %s (want %s), compared %d, rejected %d", s.MeanDelta, tt.mean, s.Compared, s.RejectedScenario)
			}
			if tt.golden != "" {
				golden(t, tt.golden+".json", marshal(t, rep))
				golden(t, tt.golden+".matrix.txt", []byte(matrixText(s)))
			}
		})
	}
}

// hubei-self gives the execution rate 20 points instead of 10, at the
// expense of 产出 and 效益. On the Huaihua data only the projects that did
// not spend their whole budget lose, and at most 0.87 points: nobody
// changes grade.
func TestHubeiVersusCnMof(t *testing.T) {
	cn, hubei := loadRS(t, "cn-mof-2020-self"), loadRS(t, "hubei-self")
	projects := huaihua(t)
	rep, err := Compare(cn, hubei, projects, projects, 4)
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, rep)
	s := rep.Summary
	if want := matrixOf(map[[2]int]int{{0, 0}: 26}); !reflect.DeepEqual(s.Matrix, want) {
		t.Errorf("matrix %v, want %v", s.Matrix, want)
	}
	if len(s.Changed) != 0 || s.MinDelta.String() != "-0.87" || s.MaxDelta != 0 || s.MeanDelta.String() != "-0.08" {
		t.Errorf("changed %v, delta %s..%s mean %s", s.Changed, s.MinDelta, s.MaxDelta, s.MeanDelta)
	}
	if rep.Baseline.ID != "cn-mof-2020-self" || rep.Scenario.ID != "hubei-self" {
		t.Errorf("rule sets %v, %v", rep.Baseline, rep.Scenario)
	}
	golden(t, "hubei-vs-cn-mof.matrix.txt", []byte(matrixText(s)))
	golden(t, "hubei-vs-cn-mof.json", marshal(t, rep))
}

// A negative amount is not refused by Apply: the rule set's own check
// rejects the project, and the comparison shows it as rejected, with no
// delta and its grade gone.
func TestCompareNegativeAmount(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	rep, err := Simulate(context.Background(), cn, cn, huaihua(t), []Override{{ProjectIDs: []string{"HH2024-01"}, Field: FieldSpent, Percent: fp(-150)}})
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, rep)
	pc := rep.Projects[0]
	if pc.Scenario.Rejected == nil || !strings.Contains(strings.Join(pc.Scenario.Rejected, "\n"), "全年执行数不能为负数（-223719.32）") {
		t.Fatalf("scenario of HH2024-01: %+v", pc.Scenario)
	}
	if pc.Delta != nil || !pc.GradeChanged || pc.Scenario.Grade != "" {
		t.Errorf("HH2024-01: %+v", pc)
	}
	s := rep.Summary
	if s.Compared != 25 || s.RejectedScenario != 1 || s.RejectedBaseline != 0 || !slices.Equal(s.Changed, []string{"HH2024-01"}) {
		t.Errorf("summary %+v", s)
	}
	if s.Before["优"] != 26 || s.After["优"] != 25 || s.Matrix[0][0] != 25 {
		t.Errorf("distributions %v → %v, matrix %v", s.Before, s.After, s.Matrix)
	}
}

// Projects that a rule set rejects for their year are counted on that
// side only.
func TestCompareRejectedBaseline(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	huai := loadRS(t, "huaihua-2024") // 2024 only
	projects := huaihua(t)[:3]
	projects[1].Year = 2023
	rep, err := Compare(huai, cn, projects, projects, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, rep)
	if s := rep.Summary; s.RejectedBaseline != 1 || s.RejectedScenario != 0 || s.Compared != 2 || !slices.Equal(s.Changed, []string{"HH2024-02"}) {
		t.Errorf("summary %+v", s)
	}
	if r := rep.Projects[1].Baseline.Rejected; len(r) != 1 || !strings.Contains(r[0], "不适用于 2023 年") {
		t.Errorf("rejection %v", r)
	}
}

func TestCompareErrors(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	p := huaihua(t)
	swapped := append([]jixiao.Project(nil), p...)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	otherYear := append([]jixiao.Project(nil), p...)
	otherYear[2].Year = 2023
	tests := []struct {
		name     string
		b, s     []jixiao.Project
		noRS     bool
		wantText string
	}{
		{"lengths", p, p[:25], false, "26 baseline projects but 25 scenario projects"},
		{"order", p, swapped, false, "project 1 is HH2024-01 (2024) in the baseline but HH2024-02 (2024) in the scenario"},
		{"year", p, otherYear, false, "project 3 is HH2024-03 (2024) in the baseline but HH2024-03 (2023)"},
		{"no rule set", p, p, true, "no baseline rule set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := cn
			if tt.noRS {
				rs = nil
			}
			_, err := Compare(rs, cn, tt.b, tt.s, 0)
			if err == nil || jixiao.ErrorCode(err) != jixiao.EINVALID || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %v, want %q", err, tt.wantText)
			}
		})
	}
}

// The result does not depend on the number of workers.
func TestCompareWorkers(t *testing.T) {
	cn, jx := loadRS(t, "cn-mof-2020-self"), loadRS(t, "jiangxi-self")
	projects := huaihua(t)
	for range 3 { // more projects than a worker's first grab
		projects = append(projects, projects...)
	}
	want, err := Compare(cn, jx, projects, projects, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, want)
	for _, w := range []int{0, 2, 7, 1000} {
		got, err := Compare(cn, jx, projects, projects, w)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d workers: a different report", w)
		}
	}
}

// With the same rule set and no change, nothing moves.
func TestCompareIdentity(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	rep, err := Simulate(context.Background(), cn, nil, huaihua(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, rep)
	if s := rep.Summary; s.MinDelta != 0 || s.MaxDelta != 0 || len(s.Changed) != 0 || s.Compared != 26 {
		t.Errorf("summary %+v", s)
	}
	empty, err := Compare(cn, nil, nil, nil, 0)
	if err != nil || empty.Summary.Compared != 0 || len(empty.Summary.Matrix) != 4 {
		t.Errorf("no projects: %+v, %v", empty.Summary, err)
	}
}

func TestSimulateCancelled(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Simulate(ctx, cn, nil, huaihua(t), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if _, err := Simulate(context.Background(), cn, nil, huaihua(t), []Override{{Field: "spnt", Percent: fp(1)}}); jixiao.ErrorCode(err) != jixiao.EINVALID {
		t.Errorf("bad override: %v", err)
	}
}

// withGrades returns cn-mof-2020-self with other grade bands (and without
// its tests, which expect the usual grades).
func withGrades(t *testing.T, id, bands string) string {
	t.Helper()
	text := builtinText(t, "cn-mof-2020-self")
	start := strings.Index(text, "grades:\n")
	end := strings.Index(text, "\n# 缺失数据")
	tests := strings.Index(text, "\ntests:")
	if start < 0 || end < 0 || tests < 0 {
		t.Fatal("cn-mof-2020-self has changed shape")
	}
	text = text[:start] + "grades:\n" + bands + text[end:tests] + "\n"
	return strings.Replace(text, "id: cn-mof-2020-self", "id: "+id, 1)
}

// Grade labels of both rule sets, from high to low by band.
func TestGradeUnion(t *testing.T) {
	cn := loadRS(t, "cn-mof-2020-self")
	three := loadText(t, "three.yaml", withGrades(t, "three", `
  - {grade: 不合格, from: 0, to: 60}
  - {grade: 合格, from: 60, to: 95}
  - {grade: 优秀, from: 95, to: 100}
`))
	projects := huaihua(t)
	rep, err := Compare(cn, three, projects, projects, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, rep)
	want := []string{"优秀", "优", "良", "合格", "中", "不合格", "差"}
	if !slices.Equal(rep.Summary.Grades, want) {
		t.Errorf("grades %v, want %v", rep.Summary.Grades, want)
	}
	if rep.Summary.Matrix[1][0] != 26 || !slices.Equal(rep.Summary.Changed, idsOf(projects)) {
		t.Errorf("matrix %v, changed %v", rep.Summary.Matrix, rep.Summary.Changed)
	}
}

func idsOf(projects []jixiao.Project) []string {
	out := make([]string, len(projects))
	for i, p := range projects {
		out[i] = p.ID
	}
	return out
}
