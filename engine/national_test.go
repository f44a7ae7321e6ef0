package engine

import (
	"strings"
	"testing"

	"jixiao"
)

// Qualitative leaves score inside their rating's band: a proposed score
// in the band is used, one outside is clamped with a warning, and without
// one the defaults stay 100%, 70% and 30%.
func TestQualitativeBands(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	tests := []struct {
		rating   jixiao.Rating
		proposed string // "" for none
		score    string // of the one output leaf, worth 50
		reason   string
		warned   bool
	}{
		{jixiao.Achieved, "", "50.00", "得满分 50", false},
		{jixiao.Achieved, "50", "50.00", "采用单位自评得分 50.00（该档 40–50 分）", false},
		{jixiao.Achieved, "40", "40.00", "采用单位自评得分 40.00", false},
		{jixiao.Achieved, "39.99", "40.00", "单位自评得分 39.99 不在该档 40–50 分内，按 40.00 计", true},
		{jixiao.Achieved, "60", "50.00", "按 50.00 计", true},
		{jixiao.PartiallyAchieved, "", "35.00", "得分 = 50 × 70% = 35.00", false},
		{jixiao.PartiallyAchieved, "30", "30.00", "采用单位自评得分 30.00", false},
		{jixiao.PartiallyAchieved, "39.99", "39.99", "采用单位自评得分 39.99", false},
		{jixiao.PartiallyAchieved, "40", "39.99", "不在该档 30 分至不足 40 分内，按 39.99 计", true},
		{jixiao.PartiallyAchieved, "29.99", "30.00", "按 30.00 计", true},
		{jixiao.NotAchieved, "", "15.00", "得分 = 50 × 30% = 15.00", false},
		{jixiao.NotAchieved, "0", "0.00", "采用单位自评得分 0.00", false},
		{jixiao.NotAchieved, "29.99", "29.99", "采用单位自评得分 29.99", false},
		{jixiao.NotAchieved, "30", "29.99", "按 29.99 计", true},
	}
	for _, tt := range tests {
		t.Run(string(tt.rating)+" "+tt.proposed, func(t *testing.T) {
			ind := qual("产出指标", "便捷度", tt.rating)
			ind.Description = "已完成"
			if tt.proposed != "" {
				ind.ProposedScore = decp(tt.proposed)
			}
			res := score(t, rs, project("100", "100", ind))
			n := res.Find("output.1")
			if n.Score.String() != tt.score || !strings.Contains(n.ReasonText(), tt.reason) {
				t.Errorf("score %s, reason %q; want %s, %q", n.Score, n.ReasonText(), tt.score, tt.reason)
			}
			if hasFinding(res, "proposed_score_out_of_band") != tt.warned {
				t.Errorf("findings %+v, want proposed_score_out_of_band %v", res.Findings, tt.warned)
			}
		})
	}
}

// The band edges of a leaf whose points are not a whole number of
// hundredths × 1.25: 80% of 16.67 is 13.336, so 达成 starts at 13.34 and
// 部分达成 ends at 13.33.
func TestQualitativeBandEdgesInCents(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	inds := []jixiao.Indicator{
		qual("产出指标", "甲", jixiao.Achieved), qual("产出指标", "乙", jixiao.PartiallyAchieved), qual("产出指标", "丙", jixiao.Achieved),
	}
	inds[0].ProposedScore, inds[1].ProposedScore = decp("13.33"), decp("13.34")
	res := score(t, rs, project("100", "100", inds...))
	for id, want := range map[string]string{"output.1": "13.34", "output.2": "13.33", "output.3": "16.66"} {
		if got := res.Find(id).Score.String(); got != want {
			t.Errorf("%s: %s, want %s (%s)", id, got, want, res.Find(id).ReasonText())
		}
	}
}

// Missing explanations are warned about: a qualitative leaf without its
// description, a leaf below its points without a deviation reason, and an
// execution rate below 90% without its reason.
func TestMissingExplanations(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	full := leaf("产出指标", "数量", jixiao.AtLeast, fp(10), fp(10))
	short := leaf("产出指标", "数量", jixiao.AtLeast, fp(10), fp(8))
	explained := short
	explained.DeviationReason = "采购延期"
	described := qual("产出指标", "便捷度", jixiao.Achieved)
	described.Description = "已上线"
	deducted := full
	deducted.Deduction, deducted.DeductionReason = decp("5"), "佐证不足"
	tests := []struct {
		name            string
		spent           string
		executionReason string
		ind             jixiao.Indicator
		want            map[string]int // check id → findings
	}{
		{"all met", "100", "", full, map[string]int{}},
		{"short without a reason", "100", "", short, map[string]int{"deviation_reason_missing": 1}},
		{"short with a reason", "100", "", explained, map[string]int{}},
		{"a reviewer's deduction is not the unit's shortfall", "100", "", deducted, map[string]int{}},
		{"qualitative without a description", "100", "", qual("产出指标", "便捷度", jixiao.Achieved), map[string]int{"description_missing": 1}},
		{"qualitative with a description", "100", "", described, map[string]int{}},
		{"execution 89.99% without a reason", "89.99", "", full, map[string]int{"deviation_reason_missing": 1, "execution_low": 1}},
		{"execution 89.99% with a reason", "89.99", "年底资金到位", full, map[string]int{"execution_low": 1}},
		{"execution 90%", "90", "", full, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// benefit and satisfaction described, so that only the leaf under test can warn
			p := project("100", tt.spent, tt.ind)
			for i := range p.Indicators {
				if p.Indicators[i].Direction == jixiao.Qualitative && p.Indicators[i].Level1 != "产出指标" {
					p.Indicators[i].Description = "已完成"
				}
			}
			p.ExecutionReason = tt.executionReason
			res := score(t, rs, p)
			got := map[string]int{}
			for _, f := range res.Findings {
				got[f.Check]++
			}
			for id, n := range tt.want {
				if got[id] != n {
					t.Errorf("%s: %d findings, want %d: %+v", id, got[id], n, res.Findings)
				}
			}
			for id, n := range got {
				if tt.want[id] == 0 {
					t.Errorf("unexpected %d %s findings: %+v", n, id, res.Findings)
				}
			}
		})
	}
}

// A reviewer's deduction takes points off a leaf, never below 0, and its
// reason says so; the scores-only scorer gives the same total.
func TestReviewerDeduction(t *testing.T) {
	rs := loadBuiltin(t, "cn-mof-2020-self")
	tests := []struct {
		deduction, score, reason string // the score after the deduction, the end of the reason
	}{
		{"5", "35.00", "实际完成值 8 低于年度指标值 10，得分 = 50 × 8/10 = 40.00；复核扣减 5 分（佐证不足），得分 = max(0, 40.00 − 5) = 35.00"},
		{"45", "0.00", "；复核扣减 45 分（佐证不足），得分 = max(0, 40.00 − 45) = 0.00"},
		{"0", "40.00", "实际完成值 8 低于年度指标值 10，得分 = 50 × 8/10 = 40.00"},
	}
	for _, tt := range tests {
		ind := leaf("产出指标", "数量", jixiao.AtLeast, fp(10), fp(8))
		ind.DeviationReason = "延期"
		ind.Deduction, ind.DeductionReason = decp(tt.deduction), "佐证不足"
		p := project("100", "100", ind)
		res := score(t, rs, p)
		n := res.Find("output.1")
		if n.Score.String() != tt.score || !strings.HasSuffix(n.ReasonText(), tt.reason) {
			t.Errorf("deduction %s: %s, %q; want %s, ending %q", tt.deduction, n.Score, n.ReasonText(), tt.score, tt.reason)
		}
		fast, _ := rs.NewScorer().ScoresOnly().Score(&p)
		if fast.Total != res.Total {
			t.Errorf("deduction %s: scores only %s, full %s", tt.deduction, fast.Total, res.Total)
		}
	}
}
