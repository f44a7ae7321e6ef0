package spreadsheet

import (
	"regexp"
	"strings"
	"unicode"

	"jixiao"
)

// excelErrors are the error values a formula can give.
var excelErrors = map[string]bool{
	"#NULL!": true, "#DIV/0!": true, "#VALUE!": true, "#REF!": true, "#NAME?": true,
	"#NUM!": true, "#N/A": true, "#GETTING_DATA": true, "#SPILL!": true, "#CALC!": true,
	"#FIELD!": true, "#BLOCKED!": true, "#CONNECT!": true, "#BUSY!": true, "#UNKNOWN!": true,
	"#PYTHON!": true,
}

func excelError(raw string) (string, bool) {
	s := strings.ToUpper(clean(raw))
	return s, strings.HasPrefix(s, "#") && excelErrors[s]
}

func formulaMessage(code string) string {
	return "公式计算出错（" + code + "）：请修正公式或直接填写数值"
}

// excelDigits is the precision of a spreadsheet's numbers. A stored value
// with more significant digits carries binary noise from a formula
// (490000-447438.63 is stored as 42561.369999999995), and the
// spreadsheet itself shows it rounded to this many digits.
const excelDigits = 15

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// numberCell is a number read from a cell.
type numberCell struct {
	n       jixiao.Numeral // in the units written: 95% is 95
	percent bool           // written with a percent sign, or shown as a percentage
	unit    string         // 元 or 万元 written after the number
	cmp     string         // ≥, >, ≤, < or = written before it (targets only)
	noisy   bool           // a workbook's stored number, which may carry binary noise
}

// readNumber reads a cell that must hold a number. A workbook's stored
// number is taken as stored, its display telling only a date, a boolean
// or a percentage; text is read leniently: full-width digits, thousands
// separators, a percent sign, 元 or 万元 after it, ≥ > ≤ < = before it when
// cmpOK. On failure it returns the end of a message: "必须是数字，实际为
// “约44万”".
func readNumber(c cell, xlsx, cmpOK bool) (numberCell, string) {
	var nc numberCell
	raw := clean(c.raw)
	if code, ok := excelError(raw); ok {
		return nc, formulaMessage(code)
	}
	if n, err := jixiao.ParseNumeral(raw); err == nil {
		nc.n = n
		shown := halfWidth(clean(c.shown))
		if xlsx && shown != "" && shown != raw {
			switch {
			case (raw == "1" || raw == "0") && (shown == "TRUE" || shown == "FALSE"):
				return nc, "必须是数字，实际为逻辑值 " + shown
			case shownAsDate.MatchString(shown):
				return nc, "必须是数字，实际为日期 “" + clip(shown) + "”：请把单元格格式改为“常规”或“数值”后重新填写"
			case strings.HasSuffix(shown, "%"):
				nc.n, nc.percent = n.Shift(2), true
			case strings.HasSuffix(shown, unitWanYuan):
				nc.unit = unitWanYuan
			case strings.HasSuffix(shown, unitYuan):
				nc.unit = unitYuan
			}
		}
		nc.noisy = xlsx
		return nc, ""
	}
	t := halfWidth(raw)
	if cmpOK {
		for _, p := range [...]struct{ prefix, cmp string }{{">=", "≥"}, {"≥", "≥"}, {"<=", "≤"}, {"≤", "≤"}, {"==", "="}, {"=", "="}, {">", ">"}, {"<", "<"}} {
			if rest, ok := strings.CutPrefix(t, p.prefix); ok {
				nc.cmp, t = p.cmp, clean(rest)
				break
			}
		}
	}
	t = clean(strings.TrimPrefix(t, "¥"))
	switch {
	case strings.HasSuffix(t, "%"):
		nc.percent, t = true, clean(strings.TrimSuffix(t, "%"))
	case strings.HasSuffix(t, unitWanYuan):
		nc.unit, t = unitWanYuan, clean(strings.TrimSuffix(t, unitWanYuan))
	case strings.HasSuffix(t, unitYuan):
		nc.unit, t = unitYuan, clean(strings.TrimSuffix(t, unitYuan))
	}
	if t, ok := removeGroups(t); ok {
		if n, err := jixiao.ParseNumeral(t); err == nil {
			nc.n = n
			return nc, ""
		}
	}
	if writtenAsDate.MatchString(halfWidth(raw)) {
		return nc, "必须是数字，实际为日期 “" + clip(raw) + "”"
	}
	return nc, "必须是数字，实际为 “" + clip(raw) + "”"
}

// notNumber is readNumber's message for a number that the column does
// not take in that form (a percentage of money, an amount of points).
func notNumber(c cell) string {
	return "必须是数字，实际为 “" + clip(c.text()) + "”"
}

// numberText is a number cell as quoted in a message: the stored value
// of a workbook's number, which its display may round.
func numberText(c cell) string {
	if _, err := jixiao.ParseNumeral(clean(c.raw)); err == nil {
		return clean(c.raw)
	}
	return c.text()
}

var (
	// shownAsDate tells a number displayed as a date or a time.
	shownAsDate = regexp.MustCompile(`\d\s*[年月时]\s*\d|\d\s*[-/]\s*\d|\d\s*:\s*\d|[上下]午|(?i:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)`)
	// writtenAsDate tells a date typed as text.
	writtenAsDate = regexp.MustCompile(`^\d{4}\s*[-/.年]\s*\d{1,2}(\s*[-/.月]\s*\d{1,2}\s*日?)?$|^\d{1,2}\s*月\s*\d{1,2}\s*日$`)
)

// removeGroups removes thousands separators (commas or spaces between
// groups of three digits) from the integer part of a number. It fails
// on separators anywhere else.
func removeGroups(t string) (string, bool) {
	isSep := func(r rune) bool { return r == ',' || unicode.IsSpace(r) }
	if strings.IndexFunc(t, isSep) < 0 {
		return t, true
	}
	sign := ""
	if t != "" && (t[0] == '-' || t[0] == '+') {
		sign, t = t[:1], t[1:]
	}
	end := strings.IndexAny(t, ".eE")
	if end < 0 {
		end = len(t)
	}
	intPart, rest := t[:end], t[end:]
	if strings.IndexFunc(rest, isSep) >= 0 {
		return "", false
	}
	groups := strings.FieldsFunc(intPart, isSep)
	if len(groups) < 2 || len(groups[0]) > 3 {
		return "", false
	}
	var b strings.Builder
	for i, g := range groups {
		if (i > 0 && len(g) != 3) || len(g) == 0 {
			return "", false
		}
		for j := 0; j < len(g); j++ {
			if !isDigit(g[j]) {
				return "", false
			}
		}
		b.WriteString(g)
	}
	// Every separator must sit between two groups: no doubled ones.
	if sepRuns(intPart) != len(groups)-1 {
		return "", false
	}
	return sign + b.String() + rest, true
}

// sepRuns counts the separator characters of s, so that "1,,234" or
// "1, 234" is refused.
func sepRuns(s string) int {
	n := 0
	for _, r := range s {
		if r == ',' || unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// halfWidth turns full-width digits and signs into ASCII, and the
// variants of ≥ and ≤ into those.
func halfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		}
		switch r {
		case '．':
			return '.'
		case '，':
			return ','
		case '－', '−', '﹣', '—':
			return '-'
		case '＋':
			return '+'
		case '％':
			return '%'
		case '＝':
			return '='
		case '＞':
			return '>'
		case '＜':
			return '<'
		case '≧':
			return '≥'
		case '≦':
			return '≤'
		case '￥':
			return '¥'
		case 'Ｅ', 'ｅ':
			return 'E'
		}
		return r
	}, s)
}
