package jixiao

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// MaxIndicatorsPerProject bounds one project's own indicator list.
const MaxIndicatorsPerProject = 1000

// Input is a decoded project file: the projects that are well formed and
// the ones that are not, each rejection naming the project and the field.
type Input struct {
	Projects []Project
	Rejected []Rejection
}

// DecodeProjects reads the project input format: a document
// {"projects": [...]} or a bare array. A malformed document is an error;
// a malformed project is rejected with every reason and the others are
// kept. Unknown fields are errors.
func DecodeProjects(r io.Reader) (*Input, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return DecodeProjectsBytes(data)
}

// DecodeProjectsBytes is DecodeProjects over a byte slice.
func DecodeProjectsBytes(data []byte) (*Input, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	var raws []json.RawMessage
	switch {
	case len(trimmed) == 0:
		return nil, Errorf(EINVALID, "empty input: expected {\"projects\": [...]} or an array of projects")
	case trimmed[0] == '[':
		if err := strictUnmarshal(data, &raws); err != nil {
			return nil, Errorf(EINVALID, "invalid project list: %s", describeJSONError(data, err))
		}
	case trimmed[0] == '{':
		var doc struct {
			Projects *[]json.RawMessage `json:"projects"`
		}
		if err := strictUnmarshal(data, &doc); err != nil {
			return nil, Errorf(EINVALID, "invalid project document: %s", describeJSONError(data, err))
		}
		if doc.Projects == nil {
			return nil, Errorf(EINVALID, "invalid project document: missing field \"projects\"")
		}
		raws = *doc.Projects
	default:
		return nil, Errorf(EINVALID, "invalid input: expected {\"projects\": [...]} or an array of projects")
	}

	in := &Input{Projects: make([]Project, 0, len(raws))}
	seen := make(map[string]int, len(raws)) // "year/id" → index in raws
	for i, raw := range raws {
		p, errs := decodeProject(raw)
		label := p.ID
		if label == "" {
			label = fmt.Sprintf("#%d", i+1)
		}
		if p.ID != "" {
			key := strconv.Itoa(p.Year) + "/" + p.ID
			if first, dup := seen[key]; dup {
				errs = append(errs, fmt.Sprintf("id: duplicate id %q in year %d (first at position %d)", p.ID, p.Year, first+1))
			} else {
				seen[key] = i
			}
		}
		if len(errs) > 0 {
			in.Rejected = append(in.Rejected, Rejection{ProjectID: label, Errors: errs})
			continue
		}
		in.Projects = append(in.Projects, p)
	}
	return in, nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the document")
	}
	return nil
}

// describeJSONError adds a line number to encoding/json's offsets.
func describeJSONError(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var off int64 = -1
	if errors.As(err, &syn) {
		off = syn.Offset
	} else if errors.As(err, &typ) {
		off = typ.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	return fmt.Sprintf("line %d: %s", line, err)
}

// rawProject mirrors Project with every value kept raw, so that each
// problem can be reported with its field name instead of stopping at the
// first one.
type rawProject struct {
	ID             json.RawMessage `json:"id"`
	Name           json.RawMessage `json:"name"`
	Department     json.RawMessage `json:"department"`
	Year           json.RawMessage `json:"year"`
	BudgetInitial  json.RawMessage `json:"budget_initial"`
	BudgetAdjusted json.RawMessage `json:"budget_adjusted"`
	FundsArrived   json.RawMessage `json:"funds_arrived"`
	Spent          json.RawMessage `json:"spent"`
	Balance        json.RawMessage `json:"balance"`
	ExecutionRate  json.RawMessage `json:"execution_rate"`
	Compliance     json.RawMessage `json:"compliance"`
	Indicators     json.RawMessage `json:"indicators"`
}

type rawIndicator struct {
	Level1          json.RawMessage `json:"level1"`
	Level2          json.RawMessage `json:"level2"`
	Name            json.RawMessage `json:"name"`
	Direction       json.RawMessage `json:"direction"`
	Target          json.RawMessage `json:"target"`
	Actual          json.RawMessage `json:"actual"`
	Rating          json.RawMessage `json:"rating"`
	Unit            json.RawMessage `json:"unit"`
	Weight          json.RawMessage `json:"weight"`
	DeviationReason json.RawMessage `json:"deviation_reason"`
}

// fieldReader collects the errors of one project.
type fieldReader struct{ errs []string }

func (f *fieldReader) fail(field, format string, args ...any) {
	f.errs = append(f.errs, field+": "+fmt.Sprintf(format, args...))
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

func (f *fieldReader) str(field string, raw json.RawMessage, required bool) string {
	if !present(raw) {
		if required {
			f.fail(field, "required")
		}
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		f.fail(field, "must be a string, got %s", clip(raw))
		return ""
	}
	s = strings.TrimSpace(s)
	if required && s == "" {
		f.fail(field, "required, got an empty string")
	}
	return s
}

func (f *fieldReader) money(field string, raw json.RawMessage, required bool) (Decimal, bool) {
	if !present(raw) {
		if required {
			f.fail(field, "required")
		}
		return 0, false
	}
	if raw[0] == '"' {
		f.fail(field, "must be a number of yuan, got the string %s", clip(raw))
		return 0, false
	}
	d, err := ParseDecimal(string(raw))
	if errors.Is(err, ErrDecimalPlaces) {
		f.fail(field, "must have at most 2 decimals (yuan and fen), got %s", clip(raw))
		return 0, false
	} else if err != nil {
		f.fail(field, "must be a number of yuan, got %s", clip(raw))
		return 0, false
	}
	return d, true
}

func (f *fieldReader) optMoney(field string, raw json.RawMessage) *Decimal {
	d, ok := f.money(field, raw, false)
	if !ok {
		return nil
	}
	return &d
}

func (f *fieldReader) number(field string, raw json.RawMessage) *float64 {
	if !present(raw) {
		return nil
	}
	if raw[0] == '"' {
		f.fail(field, "must be a number, got the string %s", clip(raw))
		return nil
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		f.fail(field, "must be a finite number, got %s", clip(raw))
		return nil
	}
	return &v
}

func (f *fieldReader) rating(field string, raw json.RawMessage) Rating {
	s := f.str(field, raw, false)
	if s == "" {
		return ""
	}
	r := Rating(s)
	if !r.Valid() {
		f.fail(field, "must be one of 达成, 部分达成, 未达成, got %q", s)
		return ""
	}
	return r
}

func clip(raw json.RawMessage) string {
	const max = 40
	if len(raw) > max {
		return string(raw[:max]) + "…"
	}
	return string(raw)
}

// decodeProject converts one raw project, collecting every problem.
func decodeProject(raw json.RawMessage) (Project, []string) {
	var p Project
	var rp rawProject
	if err := strictUnmarshal(raw, &rp); err != nil {
		// Recover the id leniently so that the rejection names the project.
		var id struct {
			ID any `json:"id"`
		}
		_ = json.Unmarshal(raw, &id)
		if s, ok := id.ID.(string); ok {
			p.ID = strings.TrimSpace(s)
		}
		return p, []string{jsonFieldError(err)}
	}
	f := &fieldReader{}
	p.ID = f.str("id", rp.ID, true)
	p.Name = f.str("name", rp.Name, true)
	p.Department = f.str("department", rp.Department, false)
	if !present(rp.Year) {
		f.fail("year", "required")
	} else if y, err := strconv.Atoi(string(rp.Year)); err != nil || y < 1900 || y > 2200 {
		f.fail("year", "must be a whole year such as 2024, got %s", clip(rp.Year))
	} else {
		p.Year = y
	}
	p.BudgetInitial = f.optMoney("budget_initial", rp.BudgetInitial)
	p.BudgetAdjusted, _ = f.money("budget_adjusted", rp.BudgetAdjusted, true)
	p.FundsArrived = f.optMoney("funds_arrived", rp.FundsArrived)
	p.Spent, _ = f.money("spent", rp.Spent, true)
	p.Balance = f.optMoney("balance", rp.Balance)
	p.ExecutionRate = f.optMoney("execution_rate", rp.ExecutionRate)
	p.Compliance = f.rating("compliance", rp.Compliance)

	if present(rp.Indicators) {
		var items []json.RawMessage
		if err := json.Unmarshal(rp.Indicators, &items); err != nil {
			f.fail("indicators", "must be an array of indicators")
		} else if len(items) > MaxIndicatorsPerProject {
			f.fail("indicators", "%d indicators, at most %d allowed", len(items), MaxIndicatorsPerProject)
		} else {
			p.Indicators = make([]Indicator, 0, len(items))
			for i, item := range items {
				p.Indicators = append(p.Indicators, f.indicator(fmt.Sprintf("indicators[%d]", i), item))
			}
		}
	}
	return p, f.errs
}

func (f *fieldReader) indicator(prefix string, raw json.RawMessage) Indicator {
	var ind Indicator
	var ri rawIndicator
	if err := strictUnmarshal(raw, &ri); err != nil {
		f.errs = append(f.errs, prefix+"."+jsonFieldError(err))
		return ind
	}
	ind.Level1 = f.str(prefix+".level1", ri.Level1, true)
	ind.Level2 = f.str(prefix+".level2", ri.Level2, false)
	ind.Name = f.str(prefix+".name", ri.Name, true)
	ind.Unit = f.str(prefix+".unit", ri.Unit, false)
	ind.DeviationReason = f.str(prefix+".deviation_reason", ri.DeviationReason, false)
	dir := f.str(prefix+".direction", ri.Direction, true)
	if dir != "" {
		d, ok := ParseDirection(dir)
		if !ok {
			f.fail(prefix+".direction", "must be one of >=, <=, =, qualitative (or ≥, ≤, 正向, 反向, 定性), got %q", dir)
		}
		ind.Direction = d
	}
	ind.Target = f.number(prefix+".target", ri.Target)
	ind.Actual = f.number(prefix+".actual", ri.Actual)
	ind.Rating = f.rating(prefix+".rating", ri.Rating)
	if present(ri.Weight) {
		w, ok := f.money(prefix+".weight", ri.Weight, false)
		if ok && w <= 0 {
			f.fail(prefix+".weight", "must be positive, got %s", w)
		} else if ok {
			ind.Weight = &w
		}
	}
	switch {
	case ind.Direction == Qualitative:
		if ind.Rating == "" && present(ri.Rating) == false {
			f.fail(prefix+".rating", "required for a qualitative indicator (达成, 部分达成 or 未达成)")
		}
		if ind.Target != nil || ind.Actual != nil {
			f.fail(prefix, "a qualitative indicator takes a rating, not target or actual")
		}
	case ind.Direction != "":
		if ind.Target == nil {
			f.fail(prefix+".target", "required for a quantitative indicator")
		}
		if present(ri.Rating) {
			f.fail(prefix+".rating", "only qualitative indicators take a rating")
		}
	}
	return ind
}

// jsonFieldError rewrites encoding/json's messages in terms of fields.
func jsonFieldError(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + rest
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		if typ.Field != "" {
			return fmt.Sprintf("%s: must be %s, got %s", typ.Field, typ.Type, typ.Value)
		}
		return fmt.Sprintf("must be a JSON object, got %s", typ.Value)
	}
	return strings.TrimPrefix(msg, "json: ")
}

// SortRejections orders rejections by project id, for stable output
// when they were gathered concurrently.
func SortRejections(r []Rejection) {
	sort.SliceStable(r, func(i, j int) bool { return r[i].ProjectID < r[j].ProjectID })
}
