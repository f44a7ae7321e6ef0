package storage

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"jixiao"
)

// The two JSON documents an official run handles per project, the stored
// input it reads (a jixiao.Project) and the result it writes (a
// jixiao.Result), are decoded and encoded here by hand: encoding/json's
// reflection made them most of the CPU time of a run. Both are exact
// stand-ins for encoding/json, never a different format:
//
//   - decodeProject reads the canonical JSON that InputHash writes
//     (json.Marshal of a Project). On anything else, an unknown,
//     differently cased or repeated key, a value of an unexpected type,
//     odd numbers, it hands the whole body to json.Unmarshal, so that its
//     result and its errors are json.Unmarshal's. Strings with escapes
//     other than those json.Marshal writes, or with invalid UTF-8, are
//     unquoted by encoding/json.
//   - encodeResult writes what json.Marshal writes, byte for byte. Strings
//     that json.Marshal would escape are written by json.Marshal.
//
// Each checks at start-up, by reflection, that the types have exactly the
// fields (names, types, tags) it was written for and no JSON methods it
// does not call or mirror (jixiao.Node.MarshalJSON writes its recorded
// reason, as appendNodes does) (and the encoder that Decimal.MarshalJSON writes what
// Decimal.AppendTo appends); when they do not, it is switched off and
// encoding/json does the work. TestCodecShapes fails in that case, as a reminder to
// update this file.

var (
	fastProjectDecoding = shapeMismatch(projectShape, false) == ""
	fastResultEncoding  = shapeMismatch(resultShape, true) == "" && decimalAppends()
)

// projectShape and resultShape are the fields of each type the codec
// knows, as reflect prints them.
var (
	projectShape = map[reflect.Type][]string{
		reflect.TypeFor[jixiao.Project](): {
			`ID string json:"id"`,
			`Name string json:"name"`,
			`Department string json:"department,omitempty"`,
			`Year int json:"year"`,
			`BudgetInitial *jixiao.Decimal json:"budget_initial,omitempty"`,
			`BudgetAdjusted jixiao.Decimal json:"budget_adjusted"`,
			`FundsArrived *jixiao.Decimal json:"funds_arrived,omitempty"`,
			`Spent jixiao.Decimal json:"spent"`,
			`Balance *jixiao.Decimal json:"balance,omitempty"`,
			`ExecutionRate *jixiao.Decimal json:"execution_rate,omitempty"`,
			`Compliance jixiao.Rating json:"compliance,omitempty"`,
			`Indicators []jixiao.Indicator json:"indicators"`,
			`ImplementingUnit string json:"implementing_unit,omitempty"`,
			`AppropriationBudget *jixiao.Decimal json:"appropriation_budget,omitempty"`,
			`AppropriationSpent *jixiao.Decimal json:"appropriation_spent,omitempty"`,
			`CarryOverBudget *jixiao.Decimal json:"carry_over_budget,omitempty"`,
			`CarryOverSpent *jixiao.Decimal json:"carry_over_spent,omitempty"`,
			`OtherBudget *jixiao.Decimal json:"other_budget,omitempty"`,
			`OtherSpent *jixiao.Decimal json:"other_spent,omitempty"`,
			`GoalExpected string json:"goal_expected,omitempty"`,
			`GoalAchieved string json:"goal_achieved,omitempty"`,
			`ExecutionReason string json:"execution_reason,omitempty"`,
			`CategoryPoints map[string]jixiao.Decimal json:"category_points,omitempty"`,
		},
		reflect.TypeFor[jixiao.Indicator](): {
			`Level1 string json:"level1"`,
			`Level2 string json:"level2"`,
			`Name string json:"name"`,
			`Direction jixiao.Direction json:"direction"`,
			`Target *float64 json:"target,omitempty"`,
			`Actual *float64 json:"actual,omitempty"`,
			`Rating jixiao.Rating json:"rating,omitempty"`,
			`Unit string json:"unit,omitempty"`,
			`Weight *jixiao.Decimal json:"weight,omitempty"`,
			`DeviationReason string json:"deviation_reason,omitempty"`,
			`ProposedScore *jixiao.Decimal json:"proposed_score,omitempty"`,
			`Description string json:"description,omitempty"`,
			`Deduction *jixiao.Decimal json:"deduction,omitempty"`,
			`DeductionReason string json:"deduction_reason,omitempty"`,
		},
		reflect.TypeFor[jixiao.Direction](): nil,
		reflect.TypeFor[jixiao.Rating]():    nil,
	}
	resultShape = map[reflect.Type][]string{
		reflect.TypeFor[jixiao.Result](): {
			`ProjectID string json:"project_id"`,
			`ProjectName string json:"project_name"`,
			`Total jixiao.Decimal json:"total"`,
			`Grade string json:"grade"`,
			`ExecutionRate *jixiao.Decimal json:"execution_rate,omitempty"`,
			`Rescale *jixiao.Rescale json:"rescale,omitempty"`,
			`RuleSet jixiao.RuleSetRef json:"ruleset"`,
			`Indicators []jixiao.Node json:"indicators"`,
			`Findings []jixiao.Finding json:"findings"`,
		},
		reflect.TypeFor[jixiao.Rescale](): {
			`Sum jixiao.Decimal json:"sum"`,
			`Applicable jixiao.Decimal json:"applicable"`,
		},
		reflect.TypeFor[jixiao.RuleSetRef](): {
			`ID string json:"id"`,
			`Version string json:"version"`,
			`Hash string json:"hash"`,
		},
		reflect.TypeFor[jixiao.Node](): {
			`ID string json:"id"`,
			`Name string json:"name"`,
			`Points jixiao.Decimal json:"points"`,
			`Score jixiao.Decimal json:"score"`,
			`Reason string json:"reason,omitempty"`,
			`Indicator int json:"indicator,omitempty"`,
			`ExecutionRate *jixiao.Decimal json:"execution_rate,omitempty"`,
			`Children []jixiao.Node json:"children,omitempty"`,
			`Explain jixiao.Explainer json:"-"`,
		},
		reflect.TypeFor[jixiao.Finding](): {
			`Check string json:"check"`,
			`Severity jixiao.Severity json:"severity"`,
			`Message string json:"message"`,
			`Indicator string json:"indicator,omitempty"`,
		},
		reflect.TypeFor[jixiao.Severity](): nil,
	}
)

var (
	marshalerType       = reflect.TypeFor[json.Marshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// shapeMismatch describes how the types differ from shape, or returns "".
// Types listed with no fields must be strings. None may have JSON or text
// methods of the direction the codec handles (encoding when enc);
// jixiao.Decimal, whose methods the codec calls, is not in the shapes.
func shapeMismatch(shape map[reflect.Type][]string, enc bool) string {
	for t, fields := range shape {
		m, tm := unmarshalerType, textUnmarshalerType
		if enc {
			m, tm = marshalerType, textMarshalerType
		}
		pt := reflect.PointerTo(t)
		mirrored := enc && t == reflect.TypeFor[jixiao.Node]()
		if !mirrored && (t.Implements(m) || pt.Implements(m)) || t.Implements(tm) || pt.Implements(tm) {
			return fmt.Sprintf("%v has JSON or text methods", t)
		}
		if fields == nil {
			if t.Kind() != reflect.String {
				return fmt.Sprintf("%v is not a string type", t)
			}
			continue
		}
		if t.NumField() != len(fields) {
			return fmt.Sprintf("%v has %d fields, not %d", t, t.NumField(), len(fields))
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if got := fmt.Sprintf("%s %v %s", f.Name, f.Type, f.Tag); got != fields[i] {
				return fmt.Sprintf("%v field %d is %s, not %s", t, i, got, fields[i])
			}
		}
	}
	return ""
}

// decodeProject decodes a stored project body into *p, which must be
// zero.
func decodeProject(body string, p *jixiao.Project) error {
	var sl decodeSlabs
	return sl.decode(body, p)
}

// decodeSlabs hands out the values a decoded project points to (its
// indicators, optional numbers) from shared blocks, so that decoding a
// chunk of projects takes a few allocations instead of dozens a project.
// The projects decoded through one decodeSlabs keep its blocks alive
// together; use one per chunk (and per goroutine).
type decodeSlabs struct {
	block      int // values per block; 0 for one project's worth
	floats     []float64
	decimals   []jixiao.Decimal
	indicators []jixiao.Indicator
	scratch    []jixiao.Indicator // the indicators of the project being read
}

// chunkSlabBlock is the block size for decoding a chunk of projects.
const chunkSlabBlock = 1024

func (sl *decodeSlabs) size(small int) int {
	if sl.block == 0 {
		return small
	}
	return sl.block
}

// decode decodes a stored project body into *p, which must be zero.
func (sl *decodeSlabs) decode(body string, p *jixiao.Project) error {
	if fastProjectDecoding {
		r := jsonReader{s: body, slabs: sl}
		if r.project(p) {
			return nil
		}
		*p = jixiao.Project{}
	}
	return json.Unmarshal([]byte(body), p)
}

func (sl *decodeSlabs) float(v float64) *float64 {
	if len(sl.floats) == cap(sl.floats) {
		sl.floats = make([]float64, 0, sl.size(32))
	}
	sl.floats = append(sl.floats, v)
	return &sl.floats[len(sl.floats)-1]
}

func (sl *decodeSlabs) decimal(v jixiao.Decimal) *jixiao.Decimal {
	if len(sl.decimals) == cap(sl.decimals) {
		sl.decimals = make([]jixiao.Decimal, 0, sl.size(8))
	}
	sl.decimals = append(sl.decimals, v)
	return &sl.decimals[len(sl.decimals)-1]
}

// keep copies the indicators read into a block and returns them, with
// their capacity cut to their length so that an append copies.
func (sl *decodeSlabs) keep(list []jixiao.Indicator) []jixiao.Indicator {
	n := len(list)
	if cap(sl.indicators)-len(sl.indicators) < n {
		sl.indicators = make([]jixiao.Indicator, 0, max(sl.size(0)/4, n))
	}
	start := len(sl.indicators)
	sl.indicators = append(sl.indicators, list...)
	return sl.indicators[start : start+n : start+n]
}

// jsonReader reads the JSON of a project. Its methods return false on
// anything the fast path does not handle; the caller then falls back.
type jsonReader struct {
	s     string
	i     int
	slabs *decodeSlabs
}

func (r *jsonReader) ws() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether the next byte is c,
// consuming it if so.
func (r *jsonReader) next(c byte) bool {
	r.ws()
	if r.i < len(r.s) && r.s[r.i] == c {
		r.i++
		return true
	}
	return false
}

// null consumes a null literal if one comes next.
func (r *jsonReader) null() bool {
	r.ws()
	if len(r.s)-r.i >= 4 && r.s[r.i:r.i+4] == "null" {
		r.i += 4
		return true
	}
	return false
}

// str reads a string. Plain strings are cut from the body; those with
// escapes or invalid UTF-8 are unquoted by encoding/json.
func (r *jsonReader) str() (string, bool) {
	r.ws()
	if r.i >= len(r.s) || r.s[r.i] != '"' {
		return "", false
	}
	start := r.i + 1
	escaped, ascii := false, true
	for j := start; j < len(r.s); j++ {
		switch c := r.s[j]; {
		case c == '"':
			r.i = j + 1
			raw := r.s[start:j]
			if ascii || utf8.ValidString(raw) {
				if !escaped {
					return raw, true
				}
				if v, ok := commonEscaped[raw]; ok {
					return v, true
				}
				if v, ok := unescape(raw); ok {
					return v, true
				}
			}
			var v string
			if json.Unmarshal([]byte(r.s[start-1:j+1]), &v) != nil {
				return "", false
			}
			return v, true
		case c == '\\':
			escaped = true
			j++ // the escaped byte cannot end the string
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// commonEscaped are escaped strings every stored project has, unquoted
// once: the directions json.Marshal writes as "\u003e=" and "\u003c=".
var commonEscaped = map[string]string{
	`\u003e=`: ">=", `\u003c=`: "<=", `\u003e`: ">", `\u003c`: "<",
}

// unescape unquotes the escapes json.Marshal writes: \" \\ \/ \b \f
// \n \r \t and \u of a character outside the surrogates (">=" is
// stored as "\u003e="). On anything else it returns false, and
// encoding/json unquotes the string.
func unescape(raw string) (string, bool) {
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		switch e := raw[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if i+6 > len(raw) {
				return "", false
			}
			var rn rune
			for _, h := range []byte(raw[i+2 : i+6]) {
				switch {
				case h >= '0' && h <= '9':
					rn = rn<<4 | rune(h-'0')
				case h >= 'a' && h <= 'f':
					rn = rn<<4 | rune(h-'a'+10)
				case h >= 'A' && h <= 'F':
					rn = rn<<4 | rune(h-'A'+10)
				default:
					return "", false
				}
			}
			if utf16.IsSurrogate(rn) {
				return "", false
			}
			b = utf8.AppendRune(b, rn)
			i += 6
			continue
		default:
			return "", false
		}
		i += 2
	}
	return string(b), true
}

// number reads a number literal as JSON defines it.
func (r *jsonReader) number() (string, bool) {
	r.ws()
	s, start := r.s, r.i
	j := start
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case j < len(s) && s[j] >= '1' && s[j] <= '9':
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	default:
		return "", false
	}
	if j < len(s) && s[j] == '.' {
		j++
		d := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == d {
			return "", false
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		d := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == d {
			return "", false
		}
	}
	r.i = j
	return s[start:j], true
}

// decimal reads a number into d with its UnmarshalJSON, as encoding/json
// does. A null leaves d as it is, as encoding/json does.
func (r *jsonReader) decimal(d *jixiao.Decimal) bool {
	if r.null() {
		return true
	}
	lit, ok := r.number()
	return ok && d.UnmarshalJSON([]byte(lit)) == nil
}

// optDecimal reads a number or null into *d.
func (r *jsonReader) optDecimal(d **jixiao.Decimal) bool {
	if r.null() {
		*d = nil
		return true
	}
	var v jixiao.Decimal
	if !r.decimal(&v) {
		return false
	}
	*d = r.slabs.decimal(v)
	return true
}

func (r *jsonReader) optFloat(f **float64) bool {
	if r.null() {
		*f = nil
		return true
	}
	lit, ok := r.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return false
	}
	*f = r.slabs.float(v)
	return true
}

func (r *jsonReader) integer(n *int) bool {
	if r.null() {
		return true
	}
	lit, ok := r.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(lit, 10, strconv.IntSize)
	if err != nil {
		return false
	}
	*n = int(v)
	return true
}

// text reads a string, or a null that leaves *s as it is.
func (r *jsonReader) text(s *string) bool {
	if r.null() {
		return true
	}
	v, ok := r.str()
	if ok {
		*s = v
	}
	return ok
}

// object reads an object, calling field for each key with the reader at
// its value. Keys with escapes are refused: canonical keys have none.
func (r *jsonReader) object(field func(key string) bool) bool {
	if !r.next('{') {
		return false
	}
	if r.next('}') {
		return true
	}
	for {
		r.ws()
		if r.i >= len(r.s) || r.s[r.i] != '"' {
			return false
		}
		end := r.i + 1
		for end < len(r.s) && r.s[end] != '"' && r.s[end] != '\\' {
			end++
		}
		if end >= len(r.s) || r.s[end] != '"' {
			return false
		}
		key := r.s[r.i+1 : end]
		r.i = end + 1
		if !r.next(':') || !field(key) {
			return false
		}
		if r.next(',') {
			continue
		}
		return r.next('}')
	}
}

// keySet records the keys of an object read so far, by number. A
// repeated key falls back to encoding/json, which merges repeated objects
// and arrays into what it decoded before.
type keySet uint32

// once reports whether key n is seen for the first time.
func (k *keySet) once(n uint) bool {
	if *k&(1<<n) != 0 {
		return false
	}
	*k |= 1 << n
	return true
}

func (r *jsonReader) project(p *jixiao.Project) bool {
	var seen keySet
	ok := r.object(func(key string) bool {
		switch key {
		case "id":
			return seen.once(0) && r.text(&p.ID)
		case "name":
			return seen.once(1) && r.text(&p.Name)
		case "department":
			return seen.once(2) && r.text(&p.Department)
		case "year":
			return seen.once(3) && r.integer(&p.Year)
		case "budget_initial":
			return seen.once(4) && r.optDecimal(&p.BudgetInitial)
		case "budget_adjusted":
			return seen.once(5) && r.decimal(&p.BudgetAdjusted)
		case "funds_arrived":
			return seen.once(6) && r.optDecimal(&p.FundsArrived)
		case "spent":
			return seen.once(7) && r.decimal(&p.Spent)
		case "balance":
			return seen.once(8) && r.optDecimal(&p.Balance)
		case "execution_rate":
			return seen.once(9) && r.optDecimal(&p.ExecutionRate)
		case "compliance":
			return seen.once(10) && r.text((*string)(&p.Compliance))
		case "indicators":
			return seen.once(11) && r.indicators(&p.Indicators)
		case "implementing_unit":
			return seen.once(12) && r.text(&p.ImplementingUnit)
		case "appropriation_budget":
			return seen.once(13) && r.optDecimal(&p.AppropriationBudget)
		case "appropriation_spent":
			return seen.once(14) && r.optDecimal(&p.AppropriationSpent)
		case "carry_over_budget":
			return seen.once(15) && r.optDecimal(&p.CarryOverBudget)
		case "carry_over_spent":
			return seen.once(16) && r.optDecimal(&p.CarryOverSpent)
		case "other_budget":
			return seen.once(17) && r.optDecimal(&p.OtherBudget)
		case "other_spent":
			return seen.once(18) && r.optDecimal(&p.OtherSpent)
		case "goal_expected":
			return seen.once(19) && r.text(&p.GoalExpected)
		case "goal_achieved":
			return seen.once(20) && r.text(&p.GoalAchieved)
		case "execution_reason":
			return seen.once(21) && r.text(&p.ExecutionReason)
		case "category_points":
			return seen.once(22) && r.pointsByName(&p.CategoryPoints)
		}
		return false
	})
	r.ws()
	return ok && r.i == len(r.s)
}

// pointsByName reads an object of decimals, or null.
func (r *jsonReader) pointsByName(m *map[string]jixiao.Decimal) bool {
	if r.null() {
		*m = nil
		return true
	}
	out := map[string]jixiao.Decimal{}
	ok := r.object(func(key string) bool {
		if _, twice := out[key]; twice {
			return false // as encoding/json: the last one wins; leave it to it
		}
		var d jixiao.Decimal
		if !r.decimal(&d) {
			return false
		}
		out[key] = d
		return true
	})
	*m = out
	return ok
}

func (r *jsonReader) indicators(list *[]jixiao.Indicator) bool {
	if r.null() {
		*list = nil
		return true
	}
	if !r.next('[') {
		return false
	}
	if r.next(']') {
		*list = []jixiao.Indicator{}
		return true
	}
	sl := r.slabs
	sl.scratch = sl.scratch[:0]
	for {
		var ind jixiao.Indicator
		if !r.indicator(&ind) {
			return false
		}
		sl.scratch = append(sl.scratch, ind)
		if r.next(',') {
			continue
		}
		if !r.next(']') {
			return false
		}
		*list = sl.keep(sl.scratch)
		clear(sl.scratch) // no strings kept alive through the scratch
		return true
	}
}

func (r *jsonReader) indicator(ind *jixiao.Indicator) bool {
	var seen keySet
	return r.object(func(key string) bool {
		switch key {
		case "level1":
			return seen.once(0) && r.text(&ind.Level1)
		case "level2":
			return seen.once(1) && r.text(&ind.Level2)
		case "name":
			return seen.once(2) && r.text(&ind.Name)
		case "direction":
			return seen.once(3) && r.text((*string)(&ind.Direction))
		case "target":
			return seen.once(4) && r.optFloat(&ind.Target)
		case "actual":
			return seen.once(5) && r.optFloat(&ind.Actual)
		case "rating":
			return seen.once(6) && r.text((*string)(&ind.Rating))
		case "unit":
			return seen.once(7) && r.text(&ind.Unit)
		case "weight":
			return seen.once(8) && r.optDecimal(&ind.Weight)
		case "deviation_reason":
			return seen.once(9) && r.text(&ind.DeviationReason)
		case "proposed_score":
			return seen.once(10) && r.optDecimal(&ind.ProposedScore)
		case "description":
			return seen.once(11) && r.text(&ind.Description)
		case "deduction":
			return seen.once(12) && r.optDecimal(&ind.Deduction)
		case "deduction_reason":
			return seen.once(13) && r.text(&ind.DeductionReason)
		}
		return false
	})
}

// encodeResult returns the JSON of r, as json.Marshal writes it.
func encodeResult(r *jixiao.Result) ([]byte, error) {
	if fastResultEncoding {
		if b, ok := appendResult(make([]byte, 0, 3072), r); ok {
			return b, nil
		}
	}
	return json.Marshal(r)
}

// resultBlock is the size of the blocks encodeResultString writes
// results into, and resultRoom the space it wants left in a block before
// it starts a result there (a result of the engine's size is 2–3 KB).
const (
	resultBlock = 64 << 10
	resultRoom  = 8 << 10
)

// encodeResultString returns the JSON of r, as encodeResult does, as a
// string that shares its memory with the next results: it is written in
// the spare capacity of buf, a block of many results (a new block when
// little is left), and buf is returned grown by it. The bytes of a string
// it returned are never written again, since the next result is appended
// after them. A chunk's results then take a few allocations instead of two
// for each result (the encoding, and its copy into a string).
func encodeResultString(buf []byte, r *jixiao.Result) (string, []byte, error) {
	if !fastResultEncoding {
		b, err := json.Marshal(r)
		return string(b), buf, err
	}
	if cap(buf)-len(buf) < resultRoom {
		buf = make([]byte, 0, resultBlock)
	}
	start := len(buf)
	b, ok := appendResult(buf, r)
	if !ok {
		// Whatever appendResult wrote lies past len(buf): no string
		// returned before uses it.
		q, err := json.Marshal(r)
		return string(q), buf, err
	}
	// b is buf grown, or, for a result larger than the room left, a copy
	// of it grown; either way the result is b[start:].
	return unsafe.String(&b[start], len(b)-start), b, nil
}

// jsonPlain marks the bytes appendString copies as they are: printable
// ASCII but for the quote, the backslash and the <, > and & that
// json.Marshal escapes, and every byte from 0x80 up (multi-byte UTF-8,
// checked whole afterwards).
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendString appends s as a JSON string. Strings json.Marshal would
// escape (quotes, backslashes, control characters, <, > and &, U+2028,
// U+2029, invalid UTF-8) are written by json.Marshal.
func appendString(b []byte, s string) []byte {
	var high byte // the bits of every byte: 0x80 set when s is not ASCII
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !jsonPlain[c] {
			return appendMarshalled(b, s)
		}
		high |= c
	}
	if high >= utf8.RuneSelf && (!utf8.ValidString(s) || hasLineSeparator(s)) {
		return appendMarshalled(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// hasLineSeparator reports whether s, valid UTF-8, contains U+2028 or
// U+2029 (E2 80 A8, E2 80 A9), which json.Marshal escapes.
func hasLineSeparator(s string) bool {
	for {
		i := strings.IndexByte(s, 0xE2)
		if i < 0 || i+2 >= len(s) {
			return false
		}
		if s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			return true
		}
		s = s[i+1:]
	}
}

func appendMarshalled(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// appendDecimal appends d as its MarshalJSON writes it: decimalAppends
// checked that MarshalJSON is AppendTo, which does not allocate.
func appendDecimal(b []byte, d jixiao.Decimal) ([]byte, bool) {
	return d.AppendTo(b), true
}

// decimalAppends reports whether Decimal.MarshalJSON writes what
// AppendTo appends, a plain number that json.Marshal keeps as it is, on
// values of every kind.
func decimalAppends() bool {
	for _, d := range []jixiao.Decimal{0, 1, -1, 5, -5, 99, 100, -100, 123456, -123456, 1 << 40, math.MaxInt64, math.MinInt64} {
		q, err := d.MarshalJSON()
		if err != nil || len(q) == 0 || string(q) != string(d.AppendTo(nil)) {
			return false
		}
		for _, c := range q {
			if (c < '0' || c > '9') && c != '-' && c != '.' {
				return false
			}
		}
	}
	return true
}

func appendResult(b []byte, r *jixiao.Result) ([]byte, bool) {
	ok := true
	b = append(b, `{"project_id":`...)
	b = appendString(b, r.ProjectID)
	b = append(b, `,"project_name":`...)
	b = appendString(b, r.ProjectName)
	b = append(b, `,"total":`...)
	if b, ok = appendDecimal(b, r.Total); !ok {
		return b, false
	}
	b = append(b, `,"grade":`...)
	b = appendString(b, r.Grade)
	if r.ExecutionRate != nil {
		b = append(b, `,"execution_rate":`...)
		if b, ok = appendDecimal(b, *r.ExecutionRate); !ok {
			return b, false
		}
	}
	if r.Rescale != nil {
		b = append(b, `,"rescale":{"sum":`...)
		if b, ok = appendDecimal(b, r.Rescale.Sum); !ok {
			return b, false
		}
		b = append(b, `,"applicable":`...)
		if b, ok = appendDecimal(b, r.Rescale.Applicable); !ok {
			return b, false
		}
		b = append(b, '}')
	}
	b = append(b, `,"ruleset":{"id":`...)
	b = appendString(b, r.RuleSet.ID)
	b = append(b, `,"version":`...)
	b = appendString(b, r.RuleSet.Version)
	b = append(b, `,"hash":`...)
	b = appendString(b, r.RuleSet.Hash)
	b = append(b, `},"indicators":`...)
	if r.Indicators == nil {
		b = append(b, "null"...)
	} else if b, ok = appendNodes(b, r.Indicators); !ok {
		return b, false
	}
	b = append(b, `,"findings":`...)
	if r.Findings == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Findings {
			f := &r.Findings[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"check":`...)
			b = appendString(b, f.Check)
			b = append(b, `,"severity":`...)
			b = appendString(b, string(f.Severity))
			b = append(b, `,"message":`...)
			b = appendString(b, f.Message)
			if f.Indicator != "" {
				b = append(b, `,"indicator":`...)
				b = appendString(b, f.Indicator)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), true
}

func appendNodes(b []byte, nodes []jixiao.Node) ([]byte, bool) {
	ok := true
	b = append(b, '[')
	for i := range nodes {
		n := &nodes[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendString(b, n.ID)
		b = append(b, `,"name":`...)
		b = appendString(b, n.Name)
		b = append(b, `,"points":`...)
		if b, ok = appendDecimal(b, n.Points); !ok {
			return b, false
		}
		b = append(b, `,"score":`...)
		if b, ok = appendDecimal(b, n.Score); !ok {
			return b, false
		}
		// As Node.MarshalJSON: the reason, written if it was recorded.
		if reason := n.ReasonText(); reason != "" {
			b = append(b, `,"reason":`...)
			b = appendString(b, reason)
		}
		if n.Indicator != 0 {
			b = append(b, `,"indicator":`...)
			b = strconv.AppendInt(b, int64(n.Indicator), 10)
		}
		if n.ExecutionRate != nil {
			b = append(b, `,"execution_rate":`...)
			if b, ok = appendDecimal(b, *n.ExecutionRate); !ok {
				return b, false
			}
		}
		if len(n.Children) > 0 {
			b = append(b, `,"children":`...)
			if b, ok = appendNodes(b, n.Children); !ok {
				return b, false
			}
		}
		b = append(b, '}')
	}
	return append(b, ']'), true
}
