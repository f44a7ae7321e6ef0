package engine

import (
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
			var err error
			switch p.fm.kind {
			case kindNum:
				b, err = s.appendNum(b, p.fm, p.prec)
			case kindText:
				var t string
				t, err = s.textOf(p.fm)
				b = append(b, t...)
			default:
				var v bool
				v, err = s.flag(p.fm)
				if v {
					b = append(b, "是"...)
				} else {
					b = append(b, "否"...)
				}
			}
			if err != nil {
				return b, err
			}
		default:
			b = append(b, p.text...)
		}
	}
	return b, nil
}

// naturalPlaces is how many decimals a number written without a
// precision keeps at most.
const naturalPlaces = 6

// appendNum writes a number formula's exact value rounded half-up to prec
// places, or, without a precision, as people write it: 8, 0.1, 91.31,
// rounded at six places with trailing zeros dropped.
func (s *Scorer) appendNum(b []byte, fm *formula, prec int) ([]byte, error) {
	natural := prec < 0
	if natural {
		prec = naturalPlaces
		if !s.reference {
			v, e := fm.num(s.f)
			if err := s.fault(); err != nil {
				return b, err
			}
			if e <= 0 && v-v == 0 {
				return appendNatural(b, v), nil // the decimal it stands for
			}
		}
	}
	n, x, err := s.roundNum(fm, prec)
	if err != nil {
		return b, err
	}
	start := len(b)
	switch {
	case x == nil:
		b = appendScaled(b, int64(n), prec)
	case !x.finite():
		return append(b, "（无法计算）"...), nil
	default:
		b = append(b, x.rat().FloatString(prec)...)
	}
	if natural {
		b = trimZeros(b, start)
	}
	return b, nil
}

// appendScaled writes n / 10^places with exactly places decimals.
func appendScaled(b []byte, n int64, places int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var digits [24]byte
	d := strconv.AppendInt(digits[:0], n, 10)
	for len(d) <= places {
		d = append([]byte{'0'}, d...)
	}
	cut := len(d) - places
	b = append(b, d[:cut]...)
	if places > 0 {
		b = append(b, '.')
		b = append(b, d[cut:]...)
	}
	return b
}

// appendDecimal writes d: as it is without a precision, else rounded
// half-up (away from zero) to prec places.
func appendDecimal(b []byte, d jixiao.Decimal, prec int) []byte {
	if prec < 0 {
		return d.AppendTo(b)
	}
	h := d.Hundredths()
	if prec >= 2 {
		b = d.AppendTo(b)
		for i := 2; i < prec; i++ {
			b = append(b, '0')
		}
		return b
	}
	div := int64(100)
	if prec == 1 {
		div = 10
	}
	neg := h < 0
	if neg {
		h = -h
	}
	q := (h + div/2) / div
	if neg && q != 0 {
		q = -q
	}
	return appendScaled(b, q, prec)
}
