package engine

import (
	"strings"
	"testing"

	"jixiao"
	"jixiao/rules"
)

// ScoreOne answers the result, or a rejection as an invalid error that
// names the project, the rule set and why.
func TestScoreOne(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	good := project("100", "100", leaf("产出指标", "数量", jixiao.AtLeast, fp(10), fp(10)))
	res, err := rs.ScoreOne(&good)
	if err != nil || res == nil || res.Find("output.1").Score.String() != "50.00" {
		t.Fatalf("ScoreOne: %v, %v", res, err)
	}
	bad := project("100", "100", leaf("产出指标", "数量", jixiao.AtLeast, fp(-5), fp(3)))
	res, err = rs.ScoreOne(&bad)
	if res != nil || jixiao.ErrorCode(err) != jixiao.EINVALID {
		t.Fatalf("ScoreOne of a rejected project: %v, %v", res, err)
	}
	for _, want := range []string{"项目 " + bad.ID, "cn-mof-2020-self", "negative_target"} {
		if !strings.Contains(jixiao.ErrorMessage(err), want) {
			t.Errorf("%q does not contain %q", jixiao.ErrorMessage(err), want)
		}
	}
}

// LoadVersion compiles a stored version to the same rule set, and says
// which version no longer compiles.
func TestLoadVersion(t *testing.T) {
	src, ok := rules.BuiltinByID("cn-mof-2020-self")
	if !ok {
		t.Fatal("no built-in cn-mof-2020-self")
	}
	want := loadBuiltin(t, "cn-mof-2020-self")
	v := &jixiao.RuleSetVersion{RuleSetID: "cn-mof-2020-self", Hash: want.Ref().Hash, Body: string(src.Data)}
	rs, err := LoadVersion(v)
	if err != nil || rs.Ref().Hash != want.Ref().Hash {
		t.Fatalf("LoadVersion: %v, %v", rs, err)
	}
	v.Body = strings.Replace(v.Body, "score: W * min(R, 100) / 100", "score: W * min(RR, 100) / 100", 1)
	if _, err := LoadVersion(v); err == nil || !strings.Contains(err.Error(), "stored rule-set version "+v.Hash+" no longer compiles") ||
		!strings.Contains(err.Error(), "unknown name: RR") {
		t.Errorf("LoadVersion of a broken body: %v", err)
	}
}
