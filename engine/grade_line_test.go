package engine

import (
	"bytes"
	"encoding/json"
	goflag "flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jixiao"
)

// On a grade line the exact value decides. Both projects score 10 for
// execution, 30 for a 达成 benefit and 10 for satisfaction; their one
// output indicator, worth 50 points, decides between 良 and 优:
//
//   - GL-1: 50 × 2,399,700.00 / 3,000,000.01 = 39.99499986…, a hair below
//     the half cent: 39.99, total 89.99, 良. (Rounding the float64 result
//     to millionths first, as the engine once did, gave 40.00 and 优.)
//   - GL-2: 50 × 159,980 / 200,000 = 39.995 exactly, which float64 holds as
//     39.99499999…: half-up gives 40.00, total 90.00, 优.
//
// engine/testdata/grade-line.json holds both results with their reasons;
// go test ./engine -run GradeLine -update rewrites it.
func TestGradeLine(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	cases := []struct {
		id             string
		target, actual float64
		output, total  string
		grade          string
	}{
		{"GL-1", 3_000_000.01, 2_399_700, "39.99", "89.99", "良"},
		{"GL-2", 200_000, 159_980, "40.00", "90.00", "优"},
	}
	var results []jixiao.Result
	for _, tc := range cases {
		p := project("100000", "100000",
			leaf("产出指标", "住房公积金缴存额（元）", jixiao.AtLeast, fp(tc.target), fp(tc.actual)),
			qual("效益指标", "群众办事便捷度", jixiao.Achieved),
			leaf("满意度指标", "服务对象满意度（%）", jixiao.AtLeast, fp(90), fp(95)))
		p.ID = tc.id
		res := score(t, rs, p)
		if got := res.Find("output").Score.String(); got != tc.output {
			t.Errorf("%s: output %s, want %s", tc.id, got, tc.output)
		}
		if res.Total.String() != tc.total || res.Grade != tc.grade {
			t.Errorf("%s: total %s %s, want %s %s", tc.id, res.Total, res.Grade, tc.total, tc.grade)
		}
		if r := res.Find("output.1").ReasonText(); !strings.HasSuffix(r, "= "+tc.output) {
			t.Errorf("%s: reason %q does not state the exact score %s", tc.id, r, tc.output)
		}
		// the reference evaluator agrees
		ref, _ := rs.referenceScorer().Score(&p)
		if ref.Total != res.Total {
			t.Errorf("%s: reference total %s", tc.id, ref.Total)
		}
		results = append(results, res)
	}
	got, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "grade-line.json"), append(got, '\n'), "GradeLine")
}

// checkGolden compares got with the golden file at path, which -update
// rewrites first; run names the test that does, for the message.
func checkGolden(t *testing.T, path string, got []byte, run string) {
	t.Helper()
	// -update is defined by the package's external tests (load_test.go).
	if f := goflag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; run go test ./engine -run %s -update and review the diff\n%s", path, run, got)
	}
}
