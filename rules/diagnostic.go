package rules

import (
	"fmt"
	"sort"
	"strings"
)

// Diagnostic is one problem in a rule file, located by file, line and,
// where it concerns one, the indicator.
type Diagnostic struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column,omitempty"`
	Indicator string `json:"indicator,omitempty"` // id of the indicator concerned
	Context   string `json:"context,omitempty"`   // or the other part: "check execution_low", "derived R"
	Message   string `json:"message"`
}

func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d", d.Line)
		if d.Column > 0 {
			fmt.Fprintf(&b, ":%d", d.Column)
		}
	}
	b.WriteString(": ")
	if d.Indicator != "" {
		fmt.Fprintf(&b, "indicator %s: ", d.Indicator)
	} else if d.Context != "" {
		fmt.Fprintf(&b, "%s: ", d.Context)
	}
	b.WriteString(d.Message)
	return b.String()
}

// Errors is every problem found in a rule file. It is returned as an error
// so that one bad file reports all its problems at once.
type Errors []Diagnostic

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, d := range e {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders diagnostics by file and position.
func (e Errors) Sort() {
	sort.SliceStable(e, func(i, j int) bool {
		if e[i].File != e[j].File {
			return e[i].File < e[j].File
		}
		if e[i].Line != e[j].Line {
			return e[i].Line < e[j].Line
		}
		return e[i].Column < e[j].Column
	})
}

// Reporter collects diagnostics for one file.
type Reporter struct {
	File string
	Errs Errors
}

// At records a problem at a scalar's position. where is an indicator id,
// or a phrase with a space such as "check execution_low".
func (r *Reporter) At(t Text, where, format string, args ...any) {
	r.AtLine(t.Line, t.Column, where, format, args...)
}

// AtLine records a problem at a line.
func (r *Reporter) AtLine(line, column int, where, format string, args ...any) {
	d := Diagnostic{File: r.File, Line: line, Column: column, Message: fmt.Sprintf(format, args...)}
	if strings.Contains(where, " ") {
		d.Context = where
	} else {
		d.Indicator = where
	}
	r.Errs = append(r.Errs, d)
}

// MaxDiagnostics bounds the problems reported for one file: past a few
// dozen they are most likely consequences of the first ones, and a file
// that is not a rule file at all would give one per line.
const MaxDiagnostics = 50

// Err returns the collected diagnostics as an error, or nil.
func (r *Reporter) Err() error {
	if len(r.Errs) == 0 {
		return nil
	}
	r.Errs.Sort()
	errs := r.Errs
	if n := len(errs) - MaxDiagnostics; n > 0 {
		more := "problems"
		if n == 1 {
			more = "problem"
		}
		errs = append(errs[:MaxDiagnostics:MaxDiagnostics], Diagnostic{File: r.File, Message: fmt.Sprintf("%d more %s not shown", n, more)})
	}
	return errs
}
