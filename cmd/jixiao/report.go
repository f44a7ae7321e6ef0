package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"

	"jixiao"
	"jixiao/engine"
	"jixiao/spreadsheet"
)

// writer prints the outcome of a batch in one format.
type writer func(w io.Writer, rs *engine.RuleSet, out jixiao.Outcome) error

// writerFor returns the writer for a --format value, or nil.
func writerFor(format string) writer {
	switch format {
	case "table":
		return writeTable
	case "json":
		return writeJSON
	case "csv":
		return writeCSV
	}
	return nil
}

// writeJSON prints the outcome as {"results": [...], "rejected": [...]},
// indented by two spaces. The same input and rules give the same bytes.
func writeJSON(w io.Writer, _ *engine.RuleSet, out jixiao.Outcome) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep "<=" and "&" readable in messages
	return enc.Encode(out)
}

// column is one top-level indicator of the rule set, shown as a column.
type column struct {
	id, name string
}

// columns returns the top-level indicators, taken from the scored
// results, or from the rule file when nothing was scored.
func columns(rs *engine.RuleSet, out jixiao.Outcome) []column {
	var cols []column
	if len(out.Results) > 0 {
		for _, n := range out.Results[0].Indicators {
			cols = append(cols, column{id: n.ID, name: n.Name})
		}
		return cols
	}
	for _, ind := range rs.File().Indicators {
		cols = append(cols, column{id: ind.ID.Value, name: ind.Name.Value})
	}
	return cols
}

// topScore returns a result's score on a top-level indicator, and false
// when the indicator does not apply to the project (no points).
func topScore(r *jixiao.Result, id string) (jixiao.Decimal, bool) {
	for _, n := range r.Indicators {
		if n.ID == id {
			return n.Score, n.Points > 0
		}
	}
	return 0, false
}

// writeCSV prints one row per scored project, with a byte-order mark so
// that Excel reads the file as UTF-8. A top-level indicator that does
// not apply to a project is an empty cell.
func writeCSV(w io.Writer, rs *engine.RuleSet, out jixiao.Outcome) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cols := columns(rs, out)
	cw := csv.NewWriter(w)
	header := []string{"project_id", "project_name"}
	for _, c := range cols {
		header = append(header, c.name)
	}
	header = append(header, "total", "grade", "findings")
	if err := cw.Write(header); err != nil {
		return err
	}
	for i := range out.Results {
		r := &out.Results[i]
		row := []string{spreadsheet.CSVText(r.ProjectID), spreadsheet.CSVText(r.ProjectName)}
		for _, c := range cols {
			v, ok := topScore(r, c.id)
			if ok {
				row = append(row, v.String())
			} else {
				row = append(row, "")
			}
		}
		row = append(row, r.Total.String(), spreadsheet.CSVText(r.Grade), strconv.Itoa(len(r.Findings)))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// nameWidth is the display width project names are cut to in the table.
const nameWidth = 28

// notApplicable marks a top-level indicator the project has nothing in.
const notApplicable = "不适用"

// widths measures text as a terminal shows it: a Chinese character takes
// two columns. Characters of ambiguous width, such as "…", count as one
// whatever the locale, so that the output does not depend on it.
func widths() *runewidth.Condition {
	return &runewidth.Condition{EastAsianWidth: false, StrictEmojiNeutral: true}
}

// writeTable prints the scores as an aligned table for people, then the
// rule set, the grade distribution, the projects that were not scored
// and every finding.
func writeTable(w io.Writer, rs *engine.RuleSet, out jixiao.Outcome) error {
	bw := bufio.NewWriter(w)
	cond := widths()
	cols := columns(rs, out)

	t := &table{cond: cond}
	anyNA := false
	t.add(left("项目编号"), left("项目名称"))
	for _, c := range cols {
		t.add(right(c.name))
	}
	t.add(right("总分"), left("等级"), right("问题数"))
	for i := range out.Results {
		r := &out.Results[i]
		t.row()
		t.add(left(r.ProjectID), left(cond.Truncate(r.ProjectName, nameWidth, "…")))
		for _, c := range cols {
			if v, ok := topScore(r, c.id); ok {
				t.add(right(v.String()))
			} else {
				t.add(right(notApplicable))
				anyNA = true
			}
		}
		t.add(right(r.Total.String()), left(r.Grade), right(strconv.Itoa(len(r.Findings))))
	}
	t.write(bw)
	if anyNA {
		fmt.Fprintf(bw, "（%s：项目没有这一类指标，其分值按规则折算为百分制或转入同级指标）\n", notApplicable)
	}

	ref := rs.Ref()
	fmt.Fprintln(bw)
	fmt.Fprintf(bw, "规则：%s  版本 %s  哈希 %s  %s\n", ref.ID, ref.Version, jixiao.ShortHash(ref.Hash), rs.File().Name.Value)
	fmt.Fprintf(bw, "等级分布：%s；已评分 %d 个项目，未评分 %d 个\n", gradeCounts(rs, out.Results), len(out.Results), len(out.Rejected))

	if len(out.Rejected) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintf(bw, "未评分的项目（%d 个）：\n", len(out.Rejected))
		for _, rej := range out.Rejected {
			fmt.Fprintf(bw, "  %s\n", rej.ProjectID)
			for _, e := range rej.Errors {
				fmt.Fprintf(bw, "    - %s\n", e)
			}
		}
	}

	writeFindings(bw, cond, out.Results)
	return bw.Flush()
}

// gradeCounts reads "优 20，良 4，中 1，差 0", in the order of the rule
// file's grade bands.
func gradeCounts(rs *engine.RuleSet, results []jixiao.Result) string {
	counts := map[string]int{}
	var order []string
	for _, b := range rs.File().Grades {
		if _, dup := counts[b.Grade.Value]; !dup {
			order = append(order, b.Grade.Value)
			counts[b.Grade.Value] = 0
		}
	}
	for _, r := range results {
		if _, known := counts[r.Grade]; !known {
			order = append(order, r.Grade)
		}
		counts[r.Grade]++
	}
	parts := make([]string, len(order))
	for i, g := range order {
		label := g
		if label == "" {
			label = "无等级"
		}
		parts[i] = fmt.Sprintf("%s %d", label, counts[g])
	}
	return strings.Join(parts, "，")
}

// severityRank orders findings within a project: errors, then warnings,
// then notes.
func severityRank(s jixiao.Severity) int {
	switch s {
	case jixiao.SeverityError:
		return 0
	case jixiao.SeverityWarning:
		return 1
	case jixiao.SeverityInfo:
		return 2
	}
	return 3
}

// writeFindings lists the findings project by project: severity, check
// and message, the most serious first.
func writeFindings(w io.Writer, cond *runewidth.Condition, results []jixiao.Result) {
	total, checkWidth := 0, 0
	for _, r := range results {
		total += len(r.Findings)
		for _, f := range r.Findings {
			checkWidth = max(checkWidth, cond.StringWidth(f.Check))
		}
	}
	fmt.Fprintln(w)
	if total == 0 {
		fmt.Fprintln(w, "问题清单：无")
		return
	}
	fmt.Fprintf(w, "问题清单（共 %d 条）：\n", total)
	for _, r := range results {
		if len(r.Findings) == 0 {
			continue
		}
		fs := make([]jixiao.Finding, len(r.Findings))
		copy(fs, r.Findings)
		sort.SliceStable(fs, func(i, j int) bool { return severityRank(fs[i].Severity) < severityRank(fs[j].Severity) })
		fmt.Fprintf(w, "  %s  %s\n", r.ProjectID, r.ProjectName)
		for _, f := range fs {
			fmt.Fprintf(w, "    %s  %s  %s\n", f.Severity.Label(), pad(cond, f.Check, checkWidth), f.Message)
		}
	}
}

// cell is one table cell with its alignment.
type cell struct {
	text  string
	right bool
}

func left(s string) cell  { return cell{text: s} }
func right(s string) cell { return cell{text: s, right: true} }

// table lays out cells in columns by display width. The first row is the
// header, underlined with dashes.
type table struct {
	cond *runewidth.Condition
	rows [][]cell
}

func (t *table) row() { t.rows = append(t.rows, nil) }

func (t *table) add(cells ...cell) {
	if len(t.rows) == 0 {
		t.row()
	}
	last := len(t.rows) - 1
	t.rows[last] = append(t.rows[last], cells...)
}

func (t *table) write(w io.Writer) {
	var width []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], t.cond.StringWidth(c.text))
		}
	}
	line := func(r []cell) {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			gap := strings.Repeat(" ", width[i]-t.cond.StringWidth(c.text))
			if c.right {
				b.WriteString(gap + c.text)
			} else {
				b.WriteString(c.text + gap)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	for i, r := range t.rows {
		line(r)
		if i == 0 {
			rule := make([]cell, len(width))
			for j := range width {
				rule[j] = left(strings.Repeat("-", width[j]))
			}
			line(rule)
		}
	}
}

// pad fills s with spaces to the display width n.
func pad(cond *runewidth.Condition, s string, n int) string {
	return s + strings.Repeat(" ", max(0, n-cond.StringWidth(s)))
}
