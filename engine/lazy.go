package engine

import (
	"math"
	"strconv"

	"jixiao"
)

// A reason is written only when it is read. While a project is scored the
// engine records, for each reason, its template, the case's score and the
// values of its placeholders; Explain writes the text from those, the same
// text every time. Most results are stored or summed up, and their
// reasons are read far more rarely than they are made.

// lazyReason is a recorded reason; it implements jixiao.Explainer.
type lazyReason struct {
	tp    *template
	score jixiao.Decimal
	vals  []lazyVal // one per placeholder, in order
	start int       // where vals start in the scorer's scratch, while scoring
}

type lazyKind uint8

const (
	lazyDecimal lazyKind = iota // v stands for a decimal (canonical or whole): write it rounded at prec, or naturally
	lazyScaled                  // v is the value × 10^prec, a whole number, decided exactly already
	lazyText                    // s is the text, or a number written already
	lazyFlag                    // flag
)

type lazyVal struct {
	kind lazyKind
	prec int8 // decimals, or −1 for the natural form
	flag bool
	v    float64
	s    string
}

// record captures a template's placeholder values into s.lazyVals.
func (s *Scorer) record(tp *template, score jixiao.Decimal) (lazyReason, error) {
	start := len(s.lazyVals)
	for i := range tp.parts {
		p := &tp.parts[i]
		if p.fm == nil {
			continue
		}
		lv := lazyVal{prec: int8(p.prec)}
		switch p.fm.kind {
		case kindText:
			t, err := s.textOf(p.fm)
			if err != nil {
				return lazyReason{}, err
			}
			lv.kind, lv.s = lazyText, t
		case kindBool:
			b, err := s.flag(p.fm)
			if err != nil {
				return lazyReason{}, err
			}
			lv.kind, lv.flag = lazyFlag, b
		default:
			if err := s.recordNum(p.fm, p.prec, &lv); err != nil {
				return lazyReason{}, err
			}
		}
		s.lazyVals = append(s.lazyVals, lv)
	}
	return lazyReason{tp: tp, score: score, vals: s.lazyVals[start:len(s.lazyVals):len(s.lazyVals)]}, nil
}

// recordNum keeps a number so that writing it later needs no frame: a
// decimal as it is, a rounding decided now, or, near a boundary, the text
// written now from the exact value.
func (s *Scorer) recordNum(fm *formula, prec int, lv *lazyVal) error {
	if !s.reference {
		v, e := fm.num(s.f)
		if err := s.fault(); err != nil {
			return err
		}
		if v-v != 0 {
			if e == 0 {
				lv.kind, lv.s = lazyText, "（无法计算）"
				return nil
			}
		} else if e <= 0 {
			lv.kind, lv.v = lazyDecimal, v
			return nil
		} else {
			p := prec
			if p < 0 {
				p = naturalPlaces
			}
			if r, ok := roundDecided(v, e, p); ok {
				lv.kind, lv.v = lazyScaled, r
				return nil
			}
		}
	}
	b, err := s.appendNum(s.scratch[:0], fm, prec)
	s.scratch = b
	if err != nil {
		return err
	}
	lv.kind, lv.s = lazyText, string(b)
	return nil
}

// Explain writes the reason.
func (r *lazyReason) Explain() string {
	var buf [160]byte
	b := buf[:0]
	j := 0
	for i := range r.tp.parts {
		p := &r.tp.parts[i]
		switch {
		case p.score:
			b = appendDecimal(b, r.score, p.prec)
		case p.fm != nil:
			b = r.vals[j].append(b)
			j++
		default:
			b = append(b, p.text...)
		}
	}
	return string(b)
}

func (lv *lazyVal) append(b []byte) []byte {
	switch lv.kind {
	case lazyText:
		return append(b, lv.s...)
	case lazyFlag:
		if lv.flag {
			return append(b, "是"...)
		}
		return append(b, "否"...)
	case lazyScaled:
		p := int(lv.prec)
		if p < 0 {
			return trimZeros(appendScaled(b, int64(lv.v), naturalPlaces), len(b))
		}
		return appendScaled(b, int64(lv.v), p)
	}
	// a decimal
	v, p := lv.v, int(lv.prec)
	if p < 0 {
		return appendNatural(b, v)
	}
	if r, ok := roundDecided(v, canonical, p); ok {
		return appendScaled(b, int64(r), p)
	}
	var a arena
	return append(b, a.round(a.float(v), p).rat().FloatString(p)...)
}

// appendNatural writes the decimal v stands for as people write it, at
// most six decimals, rounded half-up beyond.
func appendNatural(b []byte, v float64) []byte {
	start := len(b)
	if k := math.Round(v * 100); math.Abs(v) < 1e13 && k/100 == v {
		// k/100 reads back as v, and below 10^13 no other decimal that
		// short does.
		return trimZeros(appendScaled(b, int64(k), 2), start)
	}
	if math.Abs(v) < 1e21 {
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
		dot := -1
		for i := start; i < len(b); i++ {
			if b[i] == '.' {
				dot = i
				break
			}
		}
		if dot < 0 || len(b)-dot-1 <= naturalPlaces {
			return b
		}
		b = b[:start]
	}
	var a arena
	return trimZeros(append(b, a.round(a.float(v), naturalPlaces).rat().FloatString(naturalPlaces)...), start)
}

// trimZeros drops trailing zero decimals (and the point) of the number
// written from start, and writes −0 as 0.
func trimZeros(b []byte, start int) []byte {
	dot := false
	for i := start; i < len(b); i++ {
		if b[i] == '.' {
			dot = true
			break
		}
	}
	if dot {
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	if string(b[start:]) == "-0" {
		b = append(b[:start], '0')
	}
	return b
}
