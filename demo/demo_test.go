package demo

import "testing"

func TestHuaihuaDecodes(t *testing.T) {
	if got := len(Huaihua()); got != 26 {
		t.Fatalf("%d projects, want 26", got)
	}
}
