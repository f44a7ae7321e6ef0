package jixiao

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxIndicatorsPerProject bounds one project's own indicator list.
const MaxIndicatorsPerProject = 1000

// Input is a decoded project file: the projects that are well formed and
// the ones that are not, each rejection naming the project and the field.
type Input struct {
	Projects []Project
	Rejected []Rejection
	// Order lists the document's projects in order: each entry indexes
	// Projects or Rejected, the other index being -1.
	Order []InputEntry
}

// InputEntry places one project of a document in Input.Projects or
// Input.Rejected.
type InputEntry struct {
	Project, Rejected int
}

// DecodeProjects reads the project input format: a document
// {"projects": [...]} or a bare array. A malformed document is an error;
// a malformed project is rejected with every reason and the others are
// kept. Unknown fields are errors: names must match exactly, in case too,
// and may not be repeated.
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
		return nil, Errorf(EINVALID, "内容为空：须为 {\"projects\": [...]} 或项目数组")
	case trimmed[0] == '[':
		if err := strictUnmarshal(data, &raws); err != nil {
			return nil, Errorf(EINVALID, "项目列表无效：%s", describeJSONError(data, err))
		}
	case trimmed[0] == '{':
		var doc struct {
			Projects *[]json.RawMessage `json:"projects"`
		}
		if err := strictUnmarshal(data, &doc); err != nil {
			return nil, Errorf(EINVALID, "项目文档无效：%s", describeJSONError(data, err))
		}
		if errs := checkFields(data, documentFields); len(errs) > 0 {
			return nil, Errorf(EINVALID, "项目文档无效：%s", strings.Join(errs, "; "))
		}
		if doc.Projects == nil {
			return nil, Errorf(EINVALID, "项目文档无效：缺少字段 \"projects\"")
		}
		raws = *doc.Projects
	default:
		return nil, Errorf(EINVALID, "内容无效：须为 {\"projects\": [...]} 或项目数组")
	}

	in := &Input{Projects: make([]Project, 0, len(raws))}
	seen := make(map[string]int, len(raws)) // "year/id" → index in raws
	for i, raw := range raws {
		p, errs := decodeProject(raw)
		label := p.ID
		if label == "" {
			label = fmt.Sprintf("#%d", i+1)
		}
		// The year is 0 when it could not be read: the project is rejected
		// for that, and it cannot be told apart from others by year.
		if p.ID != "" && p.Year != 0 {
			key := strconv.Itoa(p.Year) + "/" + p.ID
			if first, dup := seen[key]; dup {
				errs = append(errs, fmt.Sprintf("id: %d 年的项目编号 %q 重复（首次出现在第 %d 个项目）", p.Year, p.ID, first+1))
			} else {
				seen[key] = i
			}
		}
		if len(errs) > 0 {
			in.Order = append(in.Order, InputEntry{Project: -1, Rejected: len(in.Rejected)})
			in.Rejected = append(in.Rejected, Rejection{ProjectID: label, Errors: errs})
			continue
		}
		in.Order = append(in.Order, InputEntry{Project: len(in.Projects), Rejected: -1})
		in.Projects = append(in.Projects, p)
	}
	return in, nil
}

// strictUnmarshal decodes the single JSON value in data into v. Field
// names are checked separately by checkFields.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("JSON 文档之后还有多余的内容")
	}
	return nil
}

// describeJSONError says in Chinese what is wrong and on which line.
func describeJSONError(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var off int64 = -1
	msg := jsonFieldError(err)
	if errors.As(err, &syn) {
		off = syn.Offset
		msg = "JSON 格式错误：" + syn.Error()
	} else if errors.As(err, &typ) {
		off = typ.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return msg
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	return fmt.Sprintf("第 %d 行：%s", line, msg)
}

// checkFields reports each member of the JSON object data whose name is
// not exactly one of fields, and each name given twice. encoding/json
// alone matches names without regard to case (so "Spent", or "ſpent"
// with a long s, would set spent) and lets a repeated name silently
// replace the earlier value, which must not happen to an amount of money.
// data must be valid JSON; a value that is not an object has no fields.
func checkFields(data []byte, fields map[string]bool) []string {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var errs []string
	seen := make(map[string]bool)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			break
		}
		name, _ := t.(string)
		switch {
		case !fields[name]:
			errs = append(errs, fmt.Sprintf("未知字段 %q", name))
		case seen[name]:
			errs = append(errs, fmt.Sprintf("字段 %q 重复", name))
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			break
		}
	}
	return errs
}

// jsonFields returns the set of JSON names of the fields of struct v.
func jsonFields(v any) map[string]bool {
	t := reflect.TypeOf(v)
	fields := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		fields[name] = true
	}
	return fields
}

var (
	documentFields  = map[string]bool{"projects": true}
	projectFields   = jsonFields(rawProject{})
	indicatorFields = jsonFields(rawIndicator{})
)

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

	ImplementingUnit    json.RawMessage `json:"implementing_unit"`
	AppropriationBudget json.RawMessage `json:"appropriation_budget"`
	AppropriationSpent  json.RawMessage `json:"appropriation_spent"`
	CarryOverBudget     json.RawMessage `json:"carry_over_budget"`
	CarryOverSpent      json.RawMessage `json:"carry_over_spent"`
	OtherBudget         json.RawMessage `json:"other_budget"`
	OtherSpent          json.RawMessage `json:"other_spent"`
	GoalExpected        json.RawMessage `json:"goal_expected"`
	GoalAchieved        json.RawMessage `json:"goal_achieved"`
	ExecutionReason     json.RawMessage `json:"execution_reason"`
	CategoryPoints      json.RawMessage `json:"category_points"`
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
	ProposedScore   json.RawMessage `json:"proposed_score"`
	Description     json.RawMessage `json:"description"`
	Deduction       json.RawMessage `json:"deduction"`
	DeductionReason json.RawMessage `json:"deduction_reason"`
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
			f.fail(field, "必填")
		}
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		f.fail(field, "须为文本，收到 %s", clip(raw))
		return ""
	}
	s = strings.TrimSpace(s)
	if required && s == "" {
		f.fail(field, "必填，不能为空")
	}
	return s
}

// label reads a text that names something (an id, a name, a level): it
// may not hold control characters or bidirectional-text controls, which
// would hide or reorder what people and files show; an id may not hold a
// "/" either, since ids go into paths and file names.
func (f *fieldReader) label(field string, raw json.RawMessage, required, id bool) string {
	s := f.str(field, raw, required)
	if msg := LabelProblem(s); msg != "" {
		f.fail(field, "%s", msg)
		return ""
	}
	if id && strings.ContainsRune(s, '/') {
		f.fail(field, "不能含“/”")
		return ""
	}
	return s
}

// LabelProblem says, in Chinese, why s may not name something (a
// project, a person), or returns "": it may not hold control characters
// or bidirectional-text controls.
func LabelProblem(s string) string {
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return fmt.Sprintf("不能含控制字符（发现 %U）", r)
		case isBidiControl(r):
			return fmt.Sprintf("不能含改变文字方向的控制字符（发现 %U）", r)
		}
	}
	return ""
}

// isBidiControl reports the characters that reorder text on screen.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// Kinds of two-place quantities, for the messages of fieldReader.decimal.
const (
	yuan    = "以元为单位的数字"
	percent = "百分数"
	points  = "分值"
)

// money reads an amount of yuan.
func (f *fieldReader) money(field string, raw json.RawMessage, required bool) (Decimal, bool) {
	return f.decimal(field, raw, required, yuan)
}

// decimal reads a JSON number with at most two decimals; kind names what
// it is (yuan, percent or points) in the messages.
func (f *fieldReader) decimal(field string, raw json.RawMessage, required bool, kind string) (Decimal, bool) {
	if !present(raw) {
		if required {
			f.fail(field, "必填")
		}
		return 0, false
	}
	if raw[0] == '"' {
		f.fail(field, "须为%s，收到文本 %s", kind, clip(raw))
		return 0, false
	}
	d, err := ParseDecimal(string(raw))
	if errors.Is(err, ErrDecimalPlaces) {
		if kind == yuan {
			f.fail(field, "最多两位小数（精确到分），收到 %s", clip(raw))
		} else {
			f.fail(field, "最多两位小数，收到 %s", clip(raw))
		}
		return 0, false
	} else if err != nil {
		f.fail(field, "须为%s，收到 %s", kind, clip(raw))
		return 0, false
	}
	return d, true
}

// maxCategories bounds category_points: a rule set has a handful.
const maxCategories = 20

// categoryPoints reads category_points: an object of points by category.
func (f *fieldReader) categoryPoints(raw json.RawMessage) map[string]Decimal {
	if !present(raw) {
		return nil
	}
	var items map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		f.fail("category_points", "须为按指标类别给出分值的对象，如 {\"产出指标\": 45}，收到 %s", clip(raw))
		return nil
	}
	if len(items) > maxCategories {
		f.fail("category_points", "有 %d 个类别，最多 %d 个", len(items), maxCategories)
		return nil
	}
	out := make(map[string]Decimal, len(items))
	for k, v := range items {
		if strings.TrimSpace(k) == "" {
			f.fail("category_points", "有一个类别没有名称")
			continue
		}
		if d, ok := f.decimal("category_points."+k, v, true, points); ok {
			out[k] = d
		}
	}
	return out
}

// optDecimal reads an optional quantity of the given kind.
func (f *fieldReader) optDecimal(field string, raw json.RawMessage, kind string) *Decimal {
	d, ok := f.decimal(field, raw, false, kind)
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
		f.fail(field, "须为数字，收到文本 %s", clip(raw))
		return nil
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		f.fail(field, "须为有限的数字，收到 %s", clip(raw))
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
		f.fail(field, "须为 达成、部分达成、未达成 之一，收到 %q", s)
		return ""
	}
	return r
}

// clip shortens a raw value for a message to about 40 bytes, cutting
// between characters so that Chinese text is not split into invalid
// UTF-8.
func clip(raw json.RawMessage) string {
	const max = 40
	if len(raw) > max {
		n := max
		for n > 0 && !utf8.RuneStart(raw[n]) {
			n--
		}
		return string(raw[:n]) + "…"
	}
	return string(raw)
}

// decodeProject converts one raw project, collecting every problem.
func decodeProject(raw json.RawMessage) (Project, []string) {
	var p Project
	var rp rawProject
	if err := strictUnmarshal(raw, &rp); err != nil {
		return p, []string{jsonFieldError(err)}
	}
	f := &fieldReader{errs: checkFields(raw, projectFields)}
	p.ID = f.label("id", rp.ID, true, true)
	p.Name = f.label("name", rp.Name, true, false)
	p.Department = f.label("department", rp.Department, false, false)
	if !present(rp.Year) {
		f.fail("year", "必填")
	} else if y, err := strconv.Atoi(string(rp.Year)); err != nil || y < 1900 || y > 2200 {
		f.fail("year", "须为整数年份，如 2024，收到 %s", clip(rp.Year))
	} else {
		p.Year = y
	}
	p.BudgetInitial = f.optDecimal("budget_initial", rp.BudgetInitial, yuan)
	p.BudgetAdjusted, _ = f.money("budget_adjusted", rp.BudgetAdjusted, true)
	p.FundsArrived = f.optDecimal("funds_arrived", rp.FundsArrived, yuan)
	p.Spent, _ = f.money("spent", rp.Spent, true)
	p.Balance = f.optDecimal("balance", rp.Balance, yuan)
	p.ExecutionRate = f.optDecimal("execution_rate", rp.ExecutionRate, percent)
	p.Compliance = f.rating("compliance", rp.Compliance)
	p.ImplementingUnit = f.label("implementing_unit", rp.ImplementingUnit, false, false)
	p.AppropriationBudget = f.optDecimal("appropriation_budget", rp.AppropriationBudget, yuan)
	p.AppropriationSpent = f.optDecimal("appropriation_spent", rp.AppropriationSpent, yuan)
	p.CarryOverBudget = f.optDecimal("carry_over_budget", rp.CarryOverBudget, yuan)
	p.CarryOverSpent = f.optDecimal("carry_over_spent", rp.CarryOverSpent, yuan)
	p.OtherBudget = f.optDecimal("other_budget", rp.OtherBudget, yuan)
	p.OtherSpent = f.optDecimal("other_spent", rp.OtherSpent, yuan)
	p.GoalExpected = f.str("goal_expected", rp.GoalExpected, false)
	p.GoalAchieved = f.str("goal_achieved", rp.GoalAchieved, false)
	p.ExecutionReason = f.str("execution_reason", rp.ExecutionReason, false)
	p.CategoryPoints = f.categoryPoints(rp.CategoryPoints)

	if present(rp.Indicators) {
		var items []json.RawMessage
		if err := json.Unmarshal(rp.Indicators, &items); err != nil {
			f.fail("indicators", "须为指标数组")
		} else if len(items) > MaxIndicatorsPerProject {
			f.fail("indicators", "有 %d 个指标，最多 %d 个", len(items), MaxIndicatorsPerProject)
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
		f.errs = append(f.errs, prefix+": "+jsonFieldError(err))
		return ind
	}
	for _, e := range checkFields(raw, indicatorFields) {
		f.errs = append(f.errs, prefix+": "+e)
	}
	ind.Level1 = f.label(prefix+".level1", ri.Level1, true, false)
	ind.Level2 = f.label(prefix+".level2", ri.Level2, false, false)
	ind.Name = f.label(prefix+".name", ri.Name, true, false)
	ind.Unit = f.label(prefix+".unit", ri.Unit, false, false)
	ind.DeviationReason = f.str(prefix+".deviation_reason", ri.DeviationReason, false)
	dir := f.str(prefix+".direction", ri.Direction, ind.Level1 != CostLevel1)
	if dir != "" {
		d, ok := ParseDirection(dir)
		if !ok {
			f.fail(prefix+".direction", "须为 %s 之一，收到 %q", DirectionWords, dir)
		}
		ind.Direction = d
	}
	ind.Target = f.number(prefix+".target", ri.Target)
	ind.Actual = f.number(prefix+".actual", ri.Actual)
	nerrs := len(f.errs)
	ind.Rating = f.rating(prefix+".rating", ri.Rating)
	ratingFailed := len(f.errs) > nerrs
	if present(ri.Weight) {
		w, ok := f.decimal(prefix+".weight", ri.Weight, false, points)
		if ok && w <= 0 {
			f.fail(prefix+".weight", "须为正数，收到 %s", w)
		} else if ok {
			ind.Weight = &w
		}
	}
	ind.Description = f.str(prefix+".description", ri.Description, false)
	ind.DeductionReason = f.str(prefix+".deduction_reason", ri.DeductionReason, false)
	if present(ri.ProposedScore) {
		if v, ok := f.decimal(prefix+".proposed_score", ri.ProposedScore, false, points); ok && v < 0 {
			f.fail(prefix+".proposed_score", "不能为负数，收到 %s", v)
		} else if ok {
			ind.ProposedScore = &v
		}
	}
	if present(ri.Deduction) {
		if v, ok := f.decimal(prefix+".deduction", ri.Deduction, false, points); ok && v < 0 {
			f.fail(prefix+".deduction", "不能为负数，收到 %s", v)
		} else if ok {
			ind.Deduction = &v
		}
	}
	if ind.Deduction != nil && *ind.Deduction > 0 && strings.TrimSpace(ind.DeductionReason) == "" {
		f.fail(prefix+".deduction_reason", "有扣分（%s 分）时必填", *ind.Deduction)
	}
	switch {
	case ind.Direction == Qualitative:
		// An empty string is no rating either; a rating already reported
		// as malformed is not reported again.
		if ind.Rating == "" && !ratingFailed {
			f.fail(prefix+".rating", "定性指标必填（达成、部分达成或未达成）")
		}
		if ind.Target != nil || ind.Actual != nil {
			f.fail(prefix, "定性指标填评价结果（rating），不填目标值或实际值")
		}
	case ind.Direction != "" || ind.Level1 == CostLevel1:
		if !present(ri.Target) { // a malformed target is reported already
			f.fail(prefix+".target", "定量指标必填")
		}
		if present(ri.ProposedScore) {
			f.fail(prefix+".proposed_score", "只有定性指标可填建议得分：定量指标按目标值和实际值计分")
		}
		if present(ri.Rating) {
			f.fail(prefix+".rating", "只有定性指标可填评价结果")
		}
	}
	return ind
}

// jsonFieldError rewrites encoding/json's messages in terms of fields.
func jsonFieldError(err error) string {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("%s: 须为%s，收到%s", typ.Field, JSONTypeName(typ.Type), JSONValueName(typ.Value))
	case errors.As(err, &typ):
		return fmt.Sprintf("须为%s，收到%s", JSONTypeName(typ.Type), JSONValueName(typ.Value))
	case errors.As(err, &syn):
		return "JSON 格式错误：" + syn.Error()
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "JSON 内容不完整"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// SortRejections orders rejections by project id, for stable output
// when they were gathered concurrently.
func SortRejections(r []Rejection) {
	sort.SliceStable(r, func(i, j int) bool { return r[i].ProjectID < r[j].ProjectID })
}
