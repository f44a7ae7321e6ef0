package engine

import (
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"jixiao"
	"jixiao/rules"
)

// template is a reason or message with {placeholders}. A placeholder is a
// name or a formula, optionally with a precision: {R}, {A/T*100:.1}.
// {score} is the case's rounded score. {{ and }} are literal braces.
type template struct {
	parts []part
}

type part struct {
	text  string   // literal text, when fm is nil and score false
	fm    *formula // a name or a formula
	score bool     // {score}
	prec  int      // decimals, or -1 for the natural form
}

var precisionSuffix = regexp.MustCompile(`:\.(\d)$`)
var plainName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *compiler) template(t rules.Text, sc scope, indicator string) *template {
	if t.Value == "" {
		return nil
	}
	tsc := sc
	withScore := sc == scopeCase || sc == scopeLeafCase
	tp := &template{}
	s := t.Value
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			tp.parts = append(tp.parts, part{text: lit.String(), prec: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i++
		case ch == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i++
		case ch == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				c.r.At(t, indicator, "message %q has a { without a closing }", t.Value)
				return nil
			}
			innerStart := i + 1 + (len(s[i+1:i+end]) - len(strings.TrimLeft(s[i+1:i+end], " ")))
			inner := strings.TrimSpace(s[i+1 : i+end])
			i += end
			p := part{prec: -1}
			if m := precisionSuffix.FindStringSubmatch(inner); m != nil {
				p.prec, _ = strconv.Atoi(m[1])
				if p.prec > 6 {
					p.prec = 6
				}
				inner = strings.TrimSpace(inner[:len(inner)-len(m[0])])
			}
			flush()
			switch {
			case inner == "":
				c.r.At(t, indicator, "message %q has an empty placeholder {}: put a name or formula inside", clip(t.Value))
				return nil
			case inner == "score" && withScore:
				p.score = true
			default:
				sub := t
				sub.Value = inner
				if !t.Block {
					// errors point into the placeholder, not at the message
					sub.Column = t.Column + utf8.RuneCountInString(s[:innerStart])
					if t.Quoted {
						sub.Column++
					}
					sub.Quoted = false
				}
				if _, ok := c.scopes[tsc][inner]; plainName.MatchString(inner) && !ok {
					c.r.At(sub, indicator, "message %q: unknown name: %s", clip(t.Value), inner)
					return nil
				}
				p.fm = c.compile(sub, tsc, reflect.Invalid, indicator)
				if p.fm == nil {
					return nil
				}
			}
			tp.parts = append(tp.parts, p)
		case ch == '}':
			c.r.At(t, indicator, "message %q has a } without an opening {; write }} for a literal brace", t.Value)
			return nil
		default:
			lit.WriteByte(ch)
		}
	}
	flush()
	return tp
}

// render appends the template's text to b.
func (tp *template) render(b []byte, s *Scorer, score jixiao.Decimal) ([]byte, error) {
	for i := range tp.parts {
		p := &tp.parts[i]
		switch {
		case p.score:
			b = appendDecimal(b, score, p.prec)
		case p.fm != nil:
			switch p.fm.kind {
			case kindNum:
				v, err := s.num(p.fm)
				if err != nil {
					return b, err
				}
				if p.prec < 0 {
					b = appendNatural(b, v)
				} else {
					b = appendFloat(b, v, p.prec)
				}
			case kindText:
				if p.fm.prog == nil {
					b = append(b, p.fm.text(s.f)...)
					continue
				}
				fallthrough
			default:
				v, err := s.value(p.fm)
				if err != nil {
					return b, err
				}
				b = appendValue(b, v, p.prec)
			}
		default:
			b = append(b, p.text...)
		}
	}
	return b, nil
}

func appendDecimal(b []byte, d jixiao.Decimal, prec int) []byte {
	if prec < 0 {
		return d.AppendTo(b)
	}
	return appendFloat(b, d.Float64(), prec)
}

func appendValue(b []byte, v any, prec int) []byte {
	switch x := v.(type) {
	case float64:
		if prec < 0 {
			return appendNatural(b, x)
		}
		return appendFloat(b, x, prec)
	case int:
		if prec > 0 {
			return appendFloat(b, float64(x), prec)
		}
		return strconv.AppendInt(b, int64(x), 10)
	case string:
		return append(b, x...)
	case bool:
		if x {
			return append(b, "是"...)
		}
		return append(b, "否"...)
	case jixiao.Decimal:
		return appendDecimal(b, x, prec)
	case nil:
		return append(b, "（无）"...)
	}
	return append(b, strings.TrimSpace(reflectString(v))...)
}

// appendNatural writes a number as people write it: 8, 0.1, 91.31, with
// binary noise such as 0.30000000000000004 rounded away.
func appendNatural(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "（无法计算）"...)
	}
	if c := f * 100; c == math.Trunc(c) && math.Abs(c) < 1e15 {
		// At most two decimals, the usual case for money and targets.
		d := jixiao.Decimal(c)
		if d%100 == 0 {
			return strconv.AppendInt(b, int64(d/100), 10)
		}
		b = d.AppendTo(b)
		if b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		return b
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	if dot := strings.IndexByte(string(b[start:]), '.'); dot >= 0 && len(b)-start-dot-1 > 6 {
		b = strconv.AppendFloat(b[:start], f, 'f', 6, 64)
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	return b
}

// appendFloat writes f with prec decimals, rounded half-up.
func appendFloat(b []byte, f float64, prec int) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "（无法计算）"...)
	}
	if prec == 2 {
		return jixiao.RoundFloat(f).AppendTo(b)
	}
	return strconv.AppendFloat(b, jixiao.RoundPlaces(f, prec), 'f', prec, 64)
}

func reflectString(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.String {
		return rv.String()
	}
	return strconv.Quote(rv.String())
}
