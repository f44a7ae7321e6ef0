package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jixiao"
)

// The national method, one file per numbered rule of the method: the
// projects of engine/testdata/national/N-*.json, scored under each rule set
// the file names, against N-*.golden.json. Every project also goes through
// the scores-only scorer, which must give the same total and grade, or
// refuse it too. go test ./engine -run NationalGolden -update rewrites
// the golden files.
func TestNationalGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "national", "*-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				RuleSets []string        `json:"rulesets"`
				Projects json.RawMessage `json:"projects"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			input, err := jixiao.DecodeProjectsBytes(doc.Projects)
			if err != nil || len(input.Rejected) > 0 {
				t.Fatalf("input: %v %+v", err, input.Rejected)
			}
			type outcome struct {
				RuleSet  string            `json:"ruleset"`
				Project  string            `json:"project"`
				Result   *jixiao.Result    `json:"result,omitempty"`
				Rejected *jixiao.Rejection `json:"rejected,omitempty"`
			}
			var out []outcome
			for _, id := range doc.RuleSets {
				rs := loadBuiltin(t, id)
				for i := range input.Projects {
					p := &input.Projects[i]
					res, rej := rs.NewScorer().Score(p)
					short, shortRej := rs.NewScorer().ScoresOnly().Score(p)
					if (rej == nil) != (shortRej == nil) || rej == nil && (short.Total != res.Total || short.Grade != res.Grade) {
						t.Errorf("%s %s: scores-only %s %s %v, full %s %s %v", id, p.ID, short.Total, short.Grade, shortRej, res.Total, res.Grade, rej)
					}
					o := outcome{RuleSet: id, Project: p.ID + " " + p.Name, Rejected: rej}
					if rej == nil {
						res.RuleSet.Hash = "" // the goldens are about the scores, not the file's bytes
						o.Result = &res
					}
					out = append(out, o)
				}
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(in, ".json")+".golden.json", append(got, '\n'), "NationalGolden")
		})
	}
	if n != 7 {
		t.Errorf("%d input files, want one per numbered rule (7)", n)
	}
}
