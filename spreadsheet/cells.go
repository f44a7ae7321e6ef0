package spreadsheet

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"jixiao"
)

// rowCtx reads the cells of one row, recording its problems.
type rowCtx struct {
	im      *importer
	sh      *sheet
	r       rowData
	project string
	bad     bool
}

func (im *importer) rowCtx(sh *sheet, r rowData, project string) *rowCtx {
	return &rowCtx{im: im, sh: sh, r: r, project: project}
}

func (x *rowCtx) cell(f field) cell {
	if !x.sh.has(f) {
		return cell{}
	}
	return x.r.at(x.sh.col[f] - 1)
}

func (x *rowCtx) name(f field) string { return x.sh.colName(f) }

func (x *rowCtx) fail(f field, msg string) {
	x.im.add(x.sh, x.r.num, f, x.project, msg)
	x.bad = true
}

// state of a cell read.
type state int

const (
	stBlank state = iota
	stOK
	stBad // the problem is reported
)

// str reads a text cell.
func (x *rowCtx) str(f field) (string, state) {
	c := x.cell(f)
	if c.blank() {
		return "", stBlank
	}
	if code, ok := excelError(c.raw); ok {
		x.fail(f, x.name(f)+" "+formulaMessage(code))
		return "", stBad
	}
	return c.text(), stOK
}

// year reads a four-digit year: 2024, 2024年 or 2024年度.
func (x *rowCtx) year(f field) (int, state) {
	c := x.cell(f)
	if c.blank() {
		return 0, stBlank
	}
	if code, ok := excelError(c.raw); ok {
		x.fail(f, x.name(f)+" "+formulaMessage(code))
		return 0, stBad
	}
	y, ok := quietYear(c)
	if !ok {
		_, msg := readNumber(yearCell(c), x.im.format == "xlsx", false)
		if strings.Contains(msg, "日期") || strings.Contains(msg, "逻辑值") {
			x.fail(f, fmt.Sprintf("%s 必须是四位年份（如 2024），%s", x.name(f), strings.TrimPrefix(msg, "必须是数字，")))
		} else {
			x.fail(f, fmt.Sprintf("%s 必须是四位年份（如 2024），实际为 “%s”", x.name(f), clip(c.text())))
		}
		return 0, stBad
	}
	return y, stOK
}

// yearCell strips a 年 or 年度 after a year written as text.
func yearCell(c cell) cell {
	strip := func(s string) string {
		s = clean(s)
		for _, suffix := range []string{"年度", "年"} {
			if t, ok := strings.CutSuffix(s, suffix); ok {
				return clean(t)
			}
		}
		return s
	}
	return cell{col: c.col, raw: strip(c.raw), shown: strip(c.shown)}
}

// quietYear reads a year without reporting anything.
func quietYear(c cell) (int, bool) {
	nc, msg := readNumber(yearCell(c), true, false)
	if msg != "" || nc.percent || nc.unit != "" {
		return 0, false
	}
	y, ok := nc.n.Int()
	if !ok || y < 1900 || y > 2200 {
		return 0, false
	}
	return int(y), true
}

// rating reads 达成, 部分达成 or 未达成; for 资金使用合规性 also 合规,
// 基本合规 and 不合规.
func (x *rowCtx) rating(f field) (jixiao.Rating, state) {
	s, st := x.str(f)
	if st != stOK {
		return "", st
	}
	if r, ok := parseRating(s, f == fCompliance); ok {
		return r, stOK
	}
	if f == fCompliance {
		x.fail(f, fmt.Sprintf("%s 只能是 达成、部分达成 或 未达成（也可写 合规、基本合规、不合规），实际为 “%s”", x.name(f), clip(s)))
	} else {
		x.fail(f, fmt.Sprintf("%s 只能是 达成、部分达成 或 未达成，实际为 “%s”", x.name(f), clip(s)))
	}
	return "", stBad
}

func parseRating(s string, compliance bool) (jixiao.Rating, bool) {
	s = strings.ReplaceAll(s, " ", "")
	switch r := jixiao.Rating(s); {
	case r.Valid():
		return r, true
	case !compliance:
		return "", false
	}
	switch s {
	case "合规", "是":
		return jixiao.Achieved, true
	case "基本合规":
		return jixiao.PartiallyAchieved, true
	case "不合规", "否":
		return jixiao.NotAchieved, true
	}
	return "", false
}

// clean trims spaces of every kind, line breaks and invisible characters.
func clean(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) })
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}
