package registry

import (
	"regexp"
	"strings"
	"testing"

	"jixiao"
)

// A new version of a parent makes a new effective version of every rule
// set that extends it, checked and tested as an edit would be; one that
// does not pass on the new parent keeps its last good version, and the
// error is shown in its status.
func TestChildrenFollowTheirParent(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{}).run()
	hubeiBefore, jiangxiBefore := h.activeHash("hubei-self"), h.activeHash("jiangxi-self")

	// The national file renames its derived value R to Rate. hubei-self
	// only changes points and passes on it; jiangxi-self's own execution
	// cases read R and no longer compile.
	renamed := regexp.MustCompile(`\bR\b`).ReplaceAll(builtinData(t, mofID), []byte("Rate"))
	renamed = withVersion(t, renamed, "2024.2")
	writeFile(t, h.path(mofID+".yaml"), renamed)
	h.waitActive(mofID, renamed)
	h.waitFor("hubei-self built on the new national version", func() bool { return h.activeHash("hubei-self") != hubeiBefore })

	rs, _ := h.r.Snapshot().Get("hubei-self")
	body := string(rs.File().Body)
	if !strings.Contains(body, "W * min(Rate, 100) / 100") || !strings.Contains(body, "points: 20") {
		t.Errorf("hubei-self's effective file does not hold the new national formula with its own points:\n%s", body)
	}
	acts := h.rec.activationsOf("hubei-self")
	if len(acts) != 2 || acts[1].Source != jixiao.SourceBuiltin || acts[1].Hash != h.activeHash("hubei-self") {
		t.Errorf("activations of hubei-self: %+v", acts)
	}

	e := h.waitError("jiangxi-self", "builtin/jiangxi-self.yaml", "unknown name: R")
	if got := h.activeHash("jiangxi-self"); got != jiangxiBefore {
		t.Errorf("jiangxi-self active %s, want its last good version %s", jixiao.ShortHash(got), jixiao.ShortHash(jiangxiBefore))
	}
	if d := e.Diagnostics[0]; d.File != "builtin/jiangxi-self.yaml" || d.Line < 25 || d.Line > 50 || d.Indicator != "execution" {
		t.Errorf("the error points at %s:%d (%s), want the child's own execution cases", d.File, d.Line, d.Indicator)
	}

	// The parent back as it was: both are built on it again, and the
	// error is gone.
	writeFile(t, h.path(mofID+".yaml"), builtinData(t, mofID))
	h.waitFor("jiangxi-self without errors", func() bool { return len(h.status("jiangxi-self").Errors) == 0 })
	if h.activeHash("hubei-self") != hubeiBefore || h.activeHash("jiangxi-self") != jiangxiBefore {
		t.Error("on the first national version again, the children are not their first effective versions")
	}
}

// A file in the rules directory may extend a built-in, and is activated
// with its effective hash.
func TestFileExtendsBuiltin(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{}).run()
	child := []byte("id: city-self\nextends: cn-mof-2020-self\nversion: \"1\"\nname: 市级自评\n" +
		"indicators:\n  - {id: execution, points: 15}\n  - {id: output, points: 45}\n" +
		"tests:\n  - name: 满分\n    project: {id: T, name: t, year: 2024, budget_adjusted: 100, spent: 100, indicators: [" +
		"{level1: 产出指标, level2: 数量指标, name: 数量, direction: \">=\", target: 1, actual: 1}]}\n" +
		"    expect: {total: 100, scores: {execution: 15, output: 45}}\n")
	writeFile(t, h.path("city.yaml"), child)
	h.waitActive("city-self", child)
	rs, _ := h.r.Snapshot().Get("city-self")
	if rs.File().Extends.Value != mofID || rs.Ref().Hash == hashOf(child) {
		t.Errorf("extends %q, hash %s: want the effective file's hash", rs.File().Extends.Value, jixiao.ShortHash(rs.Ref().Hash))
	}
}
