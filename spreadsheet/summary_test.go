package spreadsheet

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
)

// exTopLevel lists the names of a rule set's top-level indicators.
func exTopLevel(t testing.TB, ruleSet string) []string {
	t.Helper()
	src, _ := rules.BuiltinByID(ruleSet)
	rs, err := engine.Load(src.Path, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ind := range rs.File().Indicators {
		names = append(names, ind.Name.Value)
	}
	return names
}

// exRecords turns the demo results into stored scores.
func exRecords(projects []jixiao.Project, results []jixiao.Result) []jixiao.ScoreRecord {
	recs := make([]jixiao.ScoreRecord, len(results))
	for i, r := range results {
		recs[i] = jixiao.ScoreRecord{
			ID: int64(i + 1), RunID: 1,
			ProjectID: r.ProjectID, Year: projects[i].Year, Department: projects[i].Department,
			Total: r.Total, Grade: r.Grade, Result: r,
			RuleSetID: r.RuleSet.ID, RuleSetHash: r.RuleSet.Hash,
		}
	}
	return recs
}

func exWriteSummary(t testing.TB, title string, topLevel []string, recs []jixiao.ScoreRecord) []byte {
	t.Helper()
	var buf bytes.Buffer
	s, err := NewSummary(&buf, title, topLevel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := s.Add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func exOpen(t testing.TB, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func exRows(t testing.TB, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestSummaryDemo(t *testing.T) {
	projects, results := exScored(t, "cn-mof-2020-self")
	top := exTopLevel(t, "cn-mof-2020-self")
	b := exWriteSummary(t, "2024年度项目支出绩效自评汇总", top, exRecords(projects, results))
	f := exOpen(t, b)

	if got := strings.Join(f.GetSheetList(), ","); got != "评分汇总,等级分布,问题清单" {
		t.Fatalf("sheets = %s", got)
	}

	// 评分汇总: a title row, the header, then one row per project.
	rows := exRows(t, f, SummarySheet)
	if rows[0][0] != "2024年度项目支出绩效自评汇总" {
		t.Errorf("A1 = %q", rows[0][0])
	}
	wantHeader := []string{"项目编号", "项目名称", "主管部门", "年度", "预算执行率", "产出指标", "效益指标", "满意度指标",
		"计算执行率", "执行率得分", "适用分值", "折算前得分", "总分", "等级", "问题数", "规则集", "规则哈希", "规则文件 SHA-256"}
	if got := strings.Join(rows[1], ","); got != strings.Join(wantHeader, ",") {
		t.Errorf("header = %s", got)
	}
	data := rows[2:]
	if len(data) != 26 {
		t.Fatalf("%d project rows, want 26", len(data))
	}
	hash := results[0].RuleSet.Hash
	want := []string{"HH2024-01", "短信费用项目", "怀化市住房公积金管理中心", "2024", "9.13", "50.00", "30.00", "10.00",
		"91.31%", "9.13", "", "", "99.13", "优", "1", "cn-mof-2020-self", hash[:12], hash}
	if got := strings.Join(data[0], ","); got != strings.Join(want, ",") {
		t.Errorf("first row = %s\nwant          %s", got, strings.Join(want, ","))
	}
	// Numbers are numbers, with formats.
	for _, tc := range []struct {
		cell, raw string
		fmtID     int
	}{
		{"D3", "2024", 0},
		{"E3", "9.13", 2},
		{"I3", "0.9131", 10},
		{"J3", "9.13", 2},
		{"M3", "99.13", 2},
		{"O3", "1", 1},
	} {
		if got := exRaw(t, f, SummarySheet, tc.cell); got != tc.raw {
			t.Errorf("%s holds %q, want %q", tc.cell, got, tc.raw)
		}
		if ct := exCellType(t, f, SummarySheet, tc.cell); ct != excelize.CellTypeNumber && ct != excelize.CellTypeUnset {
			t.Errorf("%s has type %v, want a number", tc.cell, ct)
		}
		if id, _ := exNumFmt(t, f, SummarySheet, tc.cell); id != tc.fmtID {
			t.Errorf("%s format %d, want %d", tc.cell, id, tc.fmtID)
		}
	}
	for i, row := range data {
		if row[0] != projects[i].ID || row[13] != "优" {
			t.Errorf("row %d = %v", i+3, row)
		}
		n, _ := strconv.Atoi(row[14])
		if n != len(results[i].Findings) {
			t.Errorf("%s: 问题数 %d, want %d", row[0], n, len(results[i].Findings))
		}
	}
	if !exHasMerge(t, f, SummarySheet, "A1:R1") {
		t.Errorf("title not merged: %v", exMerges(t, f, SummarySheet))
	}
	panes, err := f.GetPanes(SummarySheet)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 2 || panes.XSplit != 2 {
		t.Errorf("panes = %+v", panes)
	}

	// 等级分布
	grades := exRows(t, f, GradesSheet)
	wantGrades := [][]string{
		{"等级", "项目数", "占比"},
		{"优", "26", "100.00%"},
		{"良", "0", "0.00%"},
		{"中", "0", "0.00%"},
		{"差", "0", "0.00%"},
		{"合计", "26", "100.00%"},
	}
	if fmt.Sprint(grades) != fmt.Sprint(wantGrades) {
		t.Errorf("等级分布 = %v\nwant %v", grades, wantGrades)
	}
	if got := exRaw(t, f, GradesSheet, "B2"); got != "26" {
		t.Errorf("B2 holds %q", got)
	}
	if got := exRaw(t, f, GradesSheet, "C2"); got != "1" {
		t.Errorf("C2 holds %q", got)
	}
	if !exZipHas(t, b, "xl/charts/chart1.xml") {
		t.Error("no chart on 等级分布")
	}

	// 问题清单: the five findings other than missing descriptions (the
	// demo's qualitative indicators have none), in project order.
	issues := exRows(t, f, FindingsSheet)
	if got := strings.Join(issues[0], ","); got != "项目编号,项目名称,级别,检查,说明" {
		t.Errorf("findings header = %s", got)
	}
	var ids []string
	var others [][]string
	described := 0
	for _, row := range issues[1:] {
		if row[3] == "description_missing" {
			described++
			continue
		}
		ids = append(ids, row[0]+" "+row[2]+" "+row[3])
		others = append(others, row)
	}
	if described != 26 {
		t.Errorf("%d description_missing findings, want 26", described)
	}
	wantIDs := []string{
		"HH2024-05 警告 execution_rate_mismatch",
		"HH2024-14 警告 benefit_missing",
		"HH2024-16 警告 benefit_missing",
		"HH2024-18 警告 execution_rate_mismatch",
		"HH2024-23 警告 balance_mismatch",
	}
	if strings.Join(ids, "; ") != strings.Join(wantIDs, "; ") {
		t.Errorf("findings = %v, want %v", ids, wantIDs)
	}
	if !strings.Contains(others[4][4], "填报的结余 1400.00 元") || others[4][1] != results[22].ProjectName {
		t.Errorf("HH2024-23 finding = %v", others[4])
	}

	// Every sheet prints on A4 landscape, one page wide.
	for _, sheet := range f.GetSheetList() {
		pl, err := f.GetPageLayout(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if *pl.Size != 9 || *pl.Orientation != "landscape" || *pl.FitToWidth != 1 {
			t.Errorf("%s: page size %d %s, %d wide", sheet, *pl.Size, *pl.Orientation, *pl.FitToWidth)
		}
	}
}

func exZipHas(t testing.TB, b []byte, name string) bool {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == name {
			return true
		}
	}
	return false
}

// Under huaihua-2024 the top-level columns are its three groups, and a
// name the results lack leaves its column blank.
func TestSummaryColumns(t *testing.T) {
	projects, results := exScored(t, "huaihua-2024")
	top := append(exTopLevel(t, "huaihua-2024"), "不存在的指标")
	b := exWriteSummary(t, "", top, exRecords(projects, results)[:2])
	f := exOpen(t, b)
	rows := exRows(t, f, SummarySheet)
	if got := strings.Join(rows[0], ","); got != "项目编号,项目名称,主管部门,年度,成本指标,产出指标,效益指标,不存在的指标,计算执行率,执行率得分,适用分值,折算前得分,总分,等级,问题数,规则集,规则哈希,规则文件 SHA-256" {
		t.Errorf("header = %s", got)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want the header and 2", len(rows))
	}
	if got := rows[1][4:14]; fmt.Sprint(got) != "[19.13 40.00 40.00  91.31% 9.13   99.13 优]" {
		t.Errorf("HH2024-01 scores = %q", got)
	}
	if got := exRaw(t, f, SummarySheet, "H2"); got != "" {
		t.Errorf("missing indicator cell holds %q", got)
	}
	// The two projects' only findings: their qualitative indicators
	// have no description.
	issues := exRows(t, f, FindingsSheet)
	for _, row := range issues[1:] {
		if row[3] != "description_missing" {
			t.Errorf("finding %v, want description_missing only", row)
		}
	}
}

func TestSummaryMisuse(t *testing.T) {
	s, err := NewSummary(io.Discard, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(nil); err == nil {
		t.Error("Add(nil) succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(&jixiao.ScoreRecord{}); err == nil {
		t.Error("Add after Close succeeded")
	}
	if err := s.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	if _, err := NewSummary(nil, "", nil); err == nil {
		t.Error("NewSummary without a writer succeeded")
	}
}

// An empty summary is still a valid workbook, with a zero distribution.
func TestSummaryEmpty(t *testing.T) {
	b := exWriteSummary(t, "空", exTopLevel(t, "cn-mof-2020-self"), nil)
	f := exOpen(t, b)
	if rows := exRows(t, f, SummarySheet); len(rows) != 2 {
		t.Errorf("rows = %v", rows)
	}
	grades := exRows(t, f, GradesSheet)
	if got := fmt.Sprint(grades[len(grades)-1]); got != "[合计 0]" {
		t.Errorf("total row = %s", got)
	}
}

// 20,000 scores stream through and the workbook opens again; the grade
// counts and the findings are all there.
func TestSummaryLarge(t *testing.T) {
	const n = 20000
	projects, results := exScored(t, "cn-mof-2020-self")
	base := exRecords(projects, results)
	grades := []string{"优", "良", "中", "差", "优"}
	var buf bytes.Buffer
	s, err := NewSummary(&buf, "大批量汇总", exTopLevel(t, "cn-mof-2020-self"))
	if err != nil {
		t.Fatal(err)
	}
	findings := 0
	for i := 0; i < n; i++ {
		rec := base[i%len(base)]
		rec.ProjectID = fmt.Sprintf("GEN-%05d", i)
		rec.Grade = grades[i%len(grades)]
		findings += len(rec.Result.Findings)
		if err := s.Add(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f := exOpen(t, buf.Bytes())

	rows, err := f.Rows(SummarySheet)
	if err != nil {
		t.Fatal(err)
	}
	count, last := 0, ""
	for rows.Next() {
		count++
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		if len(cols) > 0 {
			last = cols[0]
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if count != n+2 || last != fmt.Sprintf("GEN-%05d", n-1) {
		t.Errorf("%d rows ending with %s, want %d ending with GEN-%05d", count, last, n+2, n-1)
	}
	dist := exRows(t, f, GradesSheet)
	want := fmt.Sprint([][]string{
		{"等级", "项目数", "占比"},
		{"优", "8000", "40.00%"},
		{"良", "4000", "20.00%"},
		{"中", "4000", "20.00%"},
		{"差", "4000", "20.00%"},
		{"合计", "20000", "100.00%"},
	})
	if fmt.Sprint(dist) != want {
		t.Errorf("等级分布 = %v", dist)
	}
	issues, err := f.Rows(FindingsSheet)
	if err != nil {
		t.Fatal(err)
	}
	got := -1 // the header
	for issues.Next() {
		got++
	}
	if err := issues.Close(); err != nil {
		t.Fatal(err)
	}
	if got != findings {
		t.Errorf("%d findings rows, want %d", got, findings)
	}
}

// exHandRecord is exHand's result as a stored score.
func exHandRecord() jixiao.ScoreRecord {
	p, r := exHand()
	r.RuleSet.Hash = "0123456789abcdef" + strings.Repeat("e", 48)
	return jixiao.ScoreRecord{
		ProjectID: p.ID, Year: p.Year, Department: p.Department, Total: r.Total, Grade: r.Grade,
		Result: *r, RuleSetID: r.RuleSet.ID, RuleSetHash: r.RuleSet.Hash,
	}
}

// A row shows 不适用 for a category that did not apply, the computed
// execution rate and the score of the indicator that read it, and the
// step to a rescaled total, all in the result's numbers.
func TestSummaryRow(t *testing.T) {
	top := []string{"预算执行", "产出", "满意度指标"}
	const hash = "0123456789abcdefeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
	for _, tc := range []struct {
		name string
		edit func(rec *jixiao.ScoreRecord)
		want []string
	}{
		{"rescaled", nil, []string{"S-01", "手工结果项目", "某局", "2024", "19.13", "60.87", "不适用",
			"91.31%", "9.13", "90.00", "80.00", "88.89", "良", "1", "hand", "0123456789ab", hash}},
		{"not rescaled", func(rec *jixiao.ScoreRecord) {
			rec.Result.Rescale = nil
			rec.Total, rec.Result.Total = jixiao.Points(80), jixiao.Points(80)
		}, []string{"S-01", "手工结果项目", "某局", "2024", "19.13", "60.87", "0.00",
			"91.31%", "9.13", "", "", "80.00", "良", "1", "hand", "0123456789ab", hash}},
		{"no rate", func(rec *jixiao.ScoreRecord) {
			rec.Result.ExecutionRate = nil
			rec.Result.Indicators[0].Children[0].ExecutionRate = nil
		}, []string{"S-01", "手工结果项目", "某局", "2024", "19.13", "60.87", "不适用",
			"", "", "90.00", "80.00", "88.89", "良", "1", "hand", "0123456789ab", hash}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := exHandRecord()
			if tc.edit != nil {
				tc.edit(&rec)
			}
			f := exOpen(t, exWriteSummary(t, "", top, []jixiao.ScoreRecord{rec}))
			rows := exRows(t, f, SummarySheet)
			got := rows[1]
			for len(got) < len(tc.want) {
				got = append(got, "")
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("row = %q\nwant  %q", got, tc.want)
			}
		})
	}
}

func TestSummaryGolden(t *testing.T) {
	for _, ruleSet := range []string{"cn-mof-2020-self", "huaihua-2024", ""} {
		name := "summary-" + ruleSet
		if ruleSet == "" {
			name = "summary-hand"
		}
		t.Run(name, func(t *testing.T) {
			var recs []jixiao.ScoreRecord
			var top, hide []string
			if ruleSet == "" {
				recs, top = []jixiao.ScoreRecord{exHandRecord()}, []string{"预算执行", "产出", "满意度指标"}
			} else {
				projects, results := exScored(t, ruleSet)
				recs, top = exRecords(projects, results), exTopLevel(t, ruleSet)
				// The rule file's hash changes with every edit of its
				// comments; the golden file does not need to.
				hide = []string{results[0].RuleSet.Hash, jixiao.ShortHash(results[0].RuleSet.Hash)}
			}
			got := exDump(t, exOpen(t, exWriteSummary(t, "2024年度项目支出绩效自评汇总", top, recs)), SummarySheet, hide...)
			exGolden(t, filepath.Join("testdata", "export", name+".txt"), got)
		})
	}
}
