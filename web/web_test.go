package web_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"jixiao/web"
)

func serve(t *testing.T, r *gin.Engine, method, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// TestServing checks the page and its assets: types, caching and the
// paths that must not serve anything.
func TestServing(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	web.Mount(r)

	page := serve(t, r, http.MethodGet, "/")
	if page.Code != http.StatusOK || page.Header().Get("Content-Type") != "text/html; charset=utf-8" ||
		page.Header().Get("Cache-Control") != "no-cache" || !strings.Contains(page.Header().Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("GET /: %d %v", page.Code, page.Header())
	}
	body := page.Body.String()
	if !strings.Contains(body, `<html lang="zh-CN">`) {
		t.Error("the page is not marked as Chinese")
	}
	m := regexp.MustCompile(`/assets/([0-9a-f]{12})/app\.js`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page loads no versioned app.js:\n%s", body)
	}
	version := m[1]
	if etag := page.Header().Get("ETag"); etag != `"`+version+`"` {
		t.Errorf("ETag %q, version %s", etag, version)
	}
	if w := serve(t, r, http.MethodGet, "/", "If-None-Match", `"`+version+`"`); w.Code != http.StatusNotModified {
		t.Errorf("GET / with its ETag: %d", w.Code)
	}
	if w := serve(t, r, http.MethodHead, "/"); w.Code != http.StatusOK {
		t.Errorf("HEAD /: %d", w.Code)
	}

	for path, ctype := range map[string]string{
		"app.js":      "text/javascript; charset=utf-8",
		"api.js":      "text/javascript; charset=utf-8",
		"projects.js": "text/javascript; charset=utf-8",
		"app.css":     "text/css; charset=utf-8",
		"icon.svg":    "image/svg+xml",
	} {
		w := serve(t, r, http.MethodGet, "/assets/"+version+"/"+path)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != ctype || w.Header().Get("X-Content-Type-Options") != "nosniff" ||
			w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || w.Body.Len() == 0 {
			t.Errorf("%s: %d %v", path, w.Code, w.Header())
		}
	}
	// A page from before an upgrade gets the current file, not cached.
	if w := serve(t, r, http.MethodGet, "/assets/000000000000/app.js"); w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("an old version: %d %v", w.Code, w.Header())
	}
	for _, path := range []string{"/assets/" + version + "/index.html", "/assets/" + version + "/nope.js",
		"/assets/" + version + "/../web.go", "/assets/" + version + "/", "/assets/" + version + "/static/app.js"} {
		if w := serve(t, r, http.MethodGet, path); w.Code != http.StatusNotFound && w.Code != http.StatusMovedPermanently {
			t.Errorf("GET %s: %d, want 404", path, w.Code)
		}
	}
}

// TestStaticFiles keeps the interface offline and in one language: no
// link to another site, and every module imported by a relative path.
func TestStaticFiles(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	web.Mount(r)
	version := regexp.MustCompile(`/assets/([0-9a-f]{12})/`).FindStringSubmatch(serve(t, r, http.MethodGet, "/").Body.String())[1]
	imports := regexp.MustCompile(`(?m)^import .* from '([^']+)';$`)
	seen := map[string]bool{"app.js": true}
	queue := []string{"app.js"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		w := serve(t, r, http.MethodGet, "/assets/"+version+"/"+name)
		if w.Code != http.StatusOK {
			t.Errorf("%s: %d", name, w.Code)
			continue
		}
		src := w.Body.String()
		if rest := strings.ReplaceAll(src, "http://www.w3.org/2000/svg", ""); strings.Contains(rest, "http://") || strings.Contains(rest, "https://") {
			t.Errorf("%s refers to another site", name)
		}
		for _, m := range imports.FindAllStringSubmatch(src, -1) {
			if !strings.HasPrefix(m[1], "./") {
				t.Errorf("%s imports %s, not a relative path", name, m[1])
				continue
			}
			dep := strings.TrimPrefix(m[1], "./")
			if !seen[dep] {
				seen[dep] = true
				queue = append(queue, dep)
			}
		}
	}
	for _, page := range []string{"projects.js", "project.js", "rulesets.js", "whatif.js", "import.js", "diff.js"} {
		if !seen[page] {
			t.Errorf("app.js does not reach %s", page)
		}
	}
}

// TestNoComputedNumbers keeps the pages from working out a score, a rate
// or a total of their own: every number they show is the engine's, from
// the API, formatted for display only.
func TestNoComputedNumbers(t *testing.T) {
	forbidden := []struct {
		re   *regexp.Regexp
		what string
	}{
		{regexp.MustCompile(`Math\.(round|trunc|floor|ceil)\(`), "rounding"},
		{regexp.MustCompile(`\.to(Fixed|Precision)\(`), "rounding"},
		{regexp.MustCompile(`Intl\.NumberFormat`), "a number format that rounds"},
		{regexp.MustCompile(`\b(spent|budget_adjusted|budget_initial|funds_arrived|balance)\s*[-+*/]`), "arithmetic on project money"},
		{regexp.MustCompile(`[-+*/]\s*[\w.()]*\b(spent|budget_adjusted|budget_initial|funds_arrived|balance)\b`), "arithmetic on project money"},
		{regexp.MustCompile(`\.(total|score|points|execution_rate|delta)\s*[-+*/]\s*[\w(]`), "arithmetic on an engine number"},
		{regexp.MustCompile(`[-*/]\s*[\w.()]*\.(total|score|points|execution_rate)\b`), "arithmetic on an engine number"},
	}
	// Layout, not numbers shown: the chart's axis steps.
	allowed := map[string]bool{
		"ui.js:const ymax = Math.ceil(max / step) * step;": true,
		"ui.js:return Math.ceil(max / 6);":                 true,
	}
	files, err := filepath.Glob(filepath.Join("static", "*.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			code := strings.TrimSpace(line)
			if strings.HasPrefix(code, "//") || allowed[filepath.Base(file)+":"+code] {
				continue
			}
			for _, f := range forbidden {
				if f.re.MatchString(code) {
					t.Errorf("%s:%d: %s: %s", file, i+1, f.what, code)
				}
			}
		}
	}
}
