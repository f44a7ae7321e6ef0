package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"testing"

	"jixiao"
)

// A text that a spreadsheet program would run as a formula is written
// with a leading ' in every CSV the service writes; numbers stay numbers.
func TestCSVInjection(t *testing.T) {
	st := newStack(t)
	evil := project("P-1", 10000)
	evil["name"] = `=HYPERLINK("http://example.com/x","点击")`
	evil["department"] = "@SUM(1+1)"
	plain := project("P-2", 100000)

	// An official evaluation, exported as CSV.
	ev := st.evaluate(map[string]any{"projects": []any{evil, plain}})
	rows := st.csv(fmt.Sprintf("/api/v1/evaluations/%d/results?format=csv", ev.Run.ID))
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[0]] = r
	}
	if r := byID["P-1"]; r == nil || r[3] != `'=HYPERLINK("http://example.com/x","点击")` || r[2] != "'@SUM(1+1)" {
		t.Errorf("evaluation CSV row %q", r)
	}
	if r := byID["P-2"]; r == nil || r[3] != "测试项目 P-2" || r[4] != "100.00" {
		t.Errorf("a plain row changed: %q", r)
	}

	// A what-if, exported as CSV: the delta of a lower total stays a
	// negative number.
	res := st.postJSON(jixiao.RoleViewer, "/api/v1/simulations?format=csv", map[string]any{
		"projects": []any{evil}, "overrides": []any{map[string]any{"field": "spent", "percent": -50}}}).want(t, http.StatusOK)
	sim, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(sim) != 2 || sim[1][2] != `'=HYPERLINK("http://example.com/x","点击")` || sim[1][7] != "-0.50" {
		t.Errorf("simulation CSV %q", sim)
	}
}
