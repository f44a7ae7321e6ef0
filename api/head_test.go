package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"jixiao"
)

// Every GET route answers HEAD as it answers GET, without the body, over
// a real connection.
func TestHeadOnEveryGetRoute(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	ts := httptest.NewServer(st.handler)
	defer ts.Close()
	replace := strings.NewReplacer(":year", "2024", ":id", "HH2024-01", ":hash", "x", ":scenario", "1", ":run", "1", ":key", "1")
	n := 0
	for _, r := range st.srv.Router().Routes() {
		if r.Method != http.MethodGet || strings.Contains(r.Path, "*") {
			continue
		}
		path := replace.Replace(r.Path)
		do := func(method string) (int, string) {
			req, _ := http.NewRequest(method, ts.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+st.keys[jixiao.RoleAdmin])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(body)
		}
		getStatus, _ := do(http.MethodGet)
		headStatus, body := do(http.MethodHead)
		if headStatus != getStatus || body != "" {
			t.Errorf("HEAD %s: %d with %d bytes; GET: %d", r.Path, headStatus, len(body), getStatus)
		}
		n++
	}
	if n < 20 {
		t.Errorf("only %d GET routes tried", n)
	}
}
