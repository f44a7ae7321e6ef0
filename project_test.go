package jixiao

import "testing"

// Every reader shares one vocabulary of directions.
func TestParseDirection(t *testing.T) {
	tests := map[string]Direction{
		">=": AtLeast, "≥": AtLeast, "正向": AtLeast, "正向指标": AtLeast, "大于等于": AtLeast, "越大越好": AtLeast,
		">": Greater, "大于": Greater,
		"<=": AtMost, "≤": AtMost, "反向": AtMost, "反向指标": AtMost, "小于等于": AtMost, "越小越好": AtMost,
		"<": Less, "小于": Less,
		"=": Exactly, "==": Exactly, "等于": Exactly, "等于指标": Exactly,
		"qualitative": Qualitative, "定性": Qualitative, "定性指标": Qualitative,
	}
	for word, want := range tests {
		if got, ok := ParseDirection(word); !ok || got != want {
			t.Errorf("ParseDirection(%q) = %q, %v; want %q", word, got, ok, want)
		}
	}
	for _, word := range []string{"", "up", "Qualitative", "上升", "≠", ">>"} {
		if got, ok := ParseDirection(word); ok {
			t.Errorf("ParseDirection(%q) = %q, want refused", word, got)
		}
	}
	for d, want := range map[Direction]Direction{Greater: AtLeast, Less: AtMost, AtLeast: AtLeast, AtMost: AtMost, Exactly: Exactly, Qualitative: Qualitative} {
		if got := d.Scored(); got != want {
			t.Errorf("%q scored as %q, want %q", d, got, want)
		}
	}
}

func TestSeverityLabel(t *testing.T) {
	for s, want := range map[Severity]string{SeverityError: "错误", SeverityWarning: "警告", SeverityInfo: "提示", "odd": "odd"} {
		if got := s.Label(); got != want {
			t.Errorf("%q.Label() = %q, want %q", s, got, want)
		}
	}
}

func TestShortHash(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "",
		"ab":                   "ab",
		"0123456789abcdef0123": "0123456789ab",
	} {
		if got := ShortHash(in); got != want {
			t.Errorf("ShortHash(%q) = %q, want %q", in, got, want)
		}
	}
}
