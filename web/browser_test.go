package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"jixiao"
)

// allStatuses is the evaluation panel's choice of every review status.
const allStatuses = "draft,submitted,approved,returned"

// findChromium finds the browser: $JIXIAO_CHROME, or chromium or
// chromium-browser on the PATH (Debian's, which CI installs).
func findChromium() (string, error) {
	if p := os.Getenv("JIXIAO_CHROME"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium or chromium-browser on the PATH, and JIXIAO_CHROME is not set")
}

// needChromium returns the browser, or skips the test saying how to
// install it; under CI=true a missing browser fails the test instead, so
// that CI never passes without the browser tests.
func needChromium(t *testing.T) string {
	t.Helper()
	p, err := findChromium()
	if err == nil {
		return p
	}
	const install = "install it with\n\tapt-get update && apt-get install -y --no-install-recommends chromium fonts-noto-cjk\nor set JIXIAO_CHROME to a Chromium binary"
	if os.Getenv("CI") == "true" {
		t.Fatalf("Chromium is not installed (%v), and CI runs every browser test: %s", err, install)
	}
	t.Skipf("Chromium is not installed (%v), so this browser test is skipped: %s", err, install)
	return ""
}

var update = flag.Bool("update", false, "write the screenshots of docs/screenshots")

// Viewports every page is checked at: a laptop and a phone.
var viewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"1280x800", 1280, 800, false},
	{"390x844", 390, 844, true},
}

// TestBrowser drives the web interface in Chromium against the whole
// service in this process: log in, evaluate, read a project, simulate,
// upload rule files and import a workbook, at two screen sizes, with no
// console error.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser tests need Chromium; run them without -short")
	}
	chromium := needChromium(t)
	st := newStack(t)
	b := newBrowser(t, st.url, chromium)

	t.Run("login", func(t *testing.T) {
		b.use(t)
		b.do(chromedp.Navigate(st.url + "/"))
		b.ready("login")
		b.shoot("login")
		// A wrong key is refused with the server's message.
		b.do(chromedp.SendKeys(chromedp.CSS("#api-key"), "jx_wrong"), chromedp.Click(chromedp.CSS("#login-button")))
		b.waitText(".login .alert.error", "unknown or revoked")
		// A viewer sees the projects, but may not run an evaluation.
		b.login(st.keys[jixiao.RoleViewer])
		if n := b.count("#projects-table tbody tr"); n != 26 {
			t.Errorf("projects table: %d rows, want 26", n)
		}
		if n := b.count("svg.chart rect.bar"); n != 4 {
			t.Errorf("grade chart: %d bars, want 4", n)
		}
		b.do(chromedp.Click(chromedp.CSS("#run-evaluation")))
		b.waitText("#evaluation-result .alert.error", "needs the scorer role")
		b.do(chromedp.Click(chromedp.CSS("#logout")))
		b.ready("login")
		b.login(st.keys[jixiao.RoleAdmin])
	})

	t.Run("evaluate", func(t *testing.T) {
		b.use(t)
		b.goTo("#/projects?year=2024", "projects")
		b.do(chromedp.Click(chromedp.CSS("#run-evaluation")))
		b.waitText("#evaluation-result .alert.success", "评分 26 个项目")
		var runs struct{ Total int }
		_, body := st.call(t, http.MethodGet, "/api/v1/evaluations", jixiao.RoleViewer, nil, "")
		if err := json.Unmarshal(body, &runs); err != nil || runs.Total != 2 {
			t.Errorf("runs after the evaluation: %s", body)
		}
		b.shoot("projects")
		// A click on a header sorts by it, a second one the other way.
		b.do(chromedp.Click(chromedp.CSS("#projects-table thead th:first-child button")),
			chromedp.Click(chromedp.CSS("#projects-table thead th:first-child button")))
		if first := b.text("#projects-table tbody tr:first-child td:first-child"); first != "HH2024-26" {
			t.Errorf("sorted by id, descending: first row %q", first)
		}
	})

	t.Run("project", func(t *testing.T) {
		b.use(t)
		b.follow(chromedp.Click(chromedp.CSS(`#projects-table a[href="#/projects/2024/HH2024-14"]`)), "projects")
		if n := b.count("#score-tree tbody tr"); n < 8 {
			t.Errorf("自评表 tree: %d rows", n)
		}
		tree := b.text("#score-tree")
		for _, want := range []string{"预算执行率", "物业管理达标率", "项目无效益指标", "100.00"} {
			if !strings.Contains(tree, want) {
				t.Errorf("自评表 tree lacks %q:\n%s", want, tree)
			}
		}
		// No 效益指标: the tree shows the step from the applicable points
		// to the total, with the engine's numbers.
		if step := b.text("#rescale-step"); !strings.Contains(step, "70.00 × 100 ÷ 70.00 = 100.00") {
			t.Errorf("rescale step %q", step)
		}
		if sum := b.text("#rescale-sum"); !strings.Contains(sum, "适用指标合计") || !strings.Contains(sum, "70.00") {
			t.Errorf("applicable row %q", sum)
		}
		if n := b.count("#history-table tbody tr"); n < 1 {
			t.Error("no score history")
		}
		const form = "/api/v1/projects/2024/HH2024-14/form.xlsx"
		if href := b.attr("#form-link", "href"); href != form {
			t.Errorf("form link: %q, want %q", href, form)
		}
		res, body := st.call(t, http.MethodGet, form, jixiao.RoleViewer, nil, "")
		switch {
		case res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), xlsxType) || !bytes.HasPrefix(body, []byte("PK")):
			t.Errorf("GET %s: %d %s, %d bytes", form, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		default:
			// The link downloads the workbook with the key.
			b.do(chromedp.Click(chromedp.CSS("#form-link")))
			if got := b.downloaded(); !bytes.HasPrefix(got, []byte("PK")) {
				t.Errorf("the form link downloaded %d bytes, not a workbook", len(got))
			}
		}
		b.shoot("project")
	})

	t.Run("whatif", func(t *testing.T) {
		b.use(t)
		b.goTo("#/whatif", "whatif")
		// Every project's spent −75%: HH2024-14 and HH2024-16, which have no
		// 效益指标, drop from 优 to 良.
		b.do(chromedp.SendKeys(chromedp.CSS("#overrides .ov-value"), "-75"), chromedp.Click(chromedp.CSS("#run-simulation")))
		b.wait("#transition-matrix")
		for _, c := range []struct{ from, to, n string }{{"优", "优", "24"}, {"优", "良", "2"}, {"良", "优", "0"}} {
			if got := b.text(fmt.Sprintf(`#transition-matrix td[data-from="%s"][data-to="%s"]`, c.from, c.to)); got != c.n {
				t.Errorf("matrix %s→%s: %q, want %s", c.from, c.to, got, c.n)
			}
		}
		changed := b.texts("#simulation-table tr.changed td:first-child")
		if !slices.Equal(changed, []string{"HH2024-14", "HH2024-16"}) {
			t.Errorf("projects whose grade changed: %v", changed)
		}
		if got := b.text("#simulation-result"); !strings.Contains(got, "最低变化") || !strings.Contains(got, "最高变化") {
			t.Errorf("summary does not give the lowest and highest change: %q", got)
		}
		if n := b.count("#simulation-result svg.chart rect.bar"); n != 8 {
			t.Errorf("before/after chart: %d bars, want 8", n)
		}
		b.shoot("whatif")
		// Goal seek: what spent gives HH2024-01 a total of 100.
		b.do(chromedp.SetValue(chromedp.CSS("#seek-project"), "2024/HH2024-01"),
			chromedp.SetValue(chromedp.CSS("#seek-kind"), "total"),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('#seek-kind').dispatchEvent(new Event('change'))`),
			chromedp.SetValue(chromedp.CSS("#seek-total"), "100"),
			chromedp.Click(chromedp.CSS("#run-seek")))
		b.waitText("#seek-result", "489,730.50")
	})

	t.Run("rules", func(t *testing.T) {
		b.use(t)
		active := func() (hash, version string) {
			var v struct{ Hash, Version string }
			_, body := st.call(t, http.MethodGet, "/api/v1/rulesets/cn-mof-2020-self", jixiao.RoleViewer, nil, "")
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			return v.Hash, v.Version
		}
		before, _ := active()
		b.goTo("#/rulesets", "rulesets")
		if !strings.Contains(b.text("#rulesets-table"), "cn-mof-2020-self") {
			t.Error("the rule sets table lacks cn-mof-2020-self")
		}
		b.shoot("rulesets")

		// A variant says what it extends, and shows its effective rules.
		b.goTo("#/rulesets/hubei-self", "rulesets")
		b.waitText("#extends", "cn-mof-2020-self")

		// A broken file is refused at file:line; the old version stays.
		b.goTo("#/rulesets/cn-mof-2020-self", "rulesets")
		b.do(chromedp.Click(chromedp.CSS("#tab-button-upload")))
		const formula = "score: W * min(RR, 100) / 100"
		broken := edit(t, builtinYAML(t, "cn-mof-2020-self"), `version: "2024.1"`, `version: "2024.3"`)
		broken = edit(t, broken, "score: W * min(R, 100) / 100", formula)
		path := filepath.Join(t.TempDir(), "cn-mof-2020-self.yaml")
		if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.SetUploadFiles(chromedp.CSS("#rule-file"), []string{path}))
		b.waitText("#rule-errors", fmt.Sprintf("cn-mof-2020-self.yaml:%d", lineOf(broken, formula)))
		if !b.eval(`document.querySelector('#activate-rules').disabled`) {
			t.Error("a broken file can be activated")
		}
		if after, _ := active(); after != before {
			t.Errorf("the active version changed after a broken file: %s, was %s", after, before)
		}
		b.shoot("ruleset-errors")

		// A good file is validated, shows its impact and is activated.
		good := edit(t, builtinYAML(t, "cn-mof-2020-self"), `version: "2024.1"`, `version: "2024.2"`)
		good = edit(t, good, `{grade: 优, from: 90, to: 100}`, `{grade: 优, from: 91.5, to: 100}`)
		good = edit(t, good, `{grade: 良, from: 80, to: 90}`, `{grade: 良, from: 80, to: 91.5}`)
		b.do(chromedp.SetValue(chromedp.CSS("#rule-yaml"), good), chromedp.Click(chromedp.CSS("#validate-rules")))
		b.waitText("#validation-result .alert.success", "校验通过")
		b.wait("#impact-matrix")
		b.do(chromedp.WaitEnabled(chromedp.CSS("#activate-rules")), chromedp.Click(chromedp.CSS("#activate-rules")))
		b.waitText("#validation-result .alert.success", "已启用")
		if _, version := active(); version != "2024.2" {
			t.Errorf("active version after the upload: %s", version)
		}
		// The two versions differ in the grade bands.
		b.do(chromedp.Click(chromedp.CSS("#tab-button-versions")))
		b.waitText("#active-version", "2024.2")
		if n := b.count("#versions-table tbody tr"); n != 2 {
			t.Errorf("versions: %d rows, want 2", n)
		}
		b.do(chromedp.Click(chromedp.CSS("#compare-versions")))
		b.waitText("#diff", "+\t  - {grade: 优, from: 91.5, to: 100}")
		b.shoot("ruleset-diff")
	})

	t.Run("import", func(t *testing.T) {
		b.use(t)
		b.goTo("#/import", "import")
		if href := b.attr("#template-link", "href"); href != "/api/v1/import/template" {
			t.Errorf("template link: %q", href)
		}
		res, template := st.call(t, http.MethodGet, "/api/v1/import/template", jixiao.RoleViewer, nil, "")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET the template: %d %s", res.StatusCode, template)
		}
		dir := t.TempDir()
		bad, where := workbook(t, template, "十万元")
		b.upload(filepath.Join(dir, "projects.xlsx"), bad)
		b.wait("#import-errors")
		got := b.text("#import-errors")
		if !strings.Contains(got, "项目") || !strings.Contains(got, where.cell) && !strings.Contains(got, where.header) {
			t.Errorf("the error table does not point at %s (%s): %s", where.cell, where.header, got)
		}
		b.shoot("import-errors")
		good, _ := workbook(t, template, "95000")
		b.upload(filepath.Join(dir, "projects-fixed.xlsx"), good)
		b.waitText("#import-result .alert.success", "新增 1 个")
		// The bureau's own import, not reviewed: scored with the drafts.
		b.do(chromedp.SetValue(chromedp.CSS("#after-import #eval-statuses"), allStatuses),
			chromedp.Click(chromedp.CSS("#after-import #run-evaluation")))
		b.waitText("#evaluation-result .alert.success", "已完成")
		var p struct {
			LatestScore *struct{ Grade string } `json:"latest_score"`
		}
		_, body := st.call(t, http.MethodGet, "/api/v1/projects/2024/"+importedID, jixiao.RoleViewer, nil, "")
		if err := json.Unmarshal(body, &p); err != nil || p.LatestScore == nil {
			t.Errorf("the imported project has no official score: %s", body)
		}
		b.shoot("import")
	})

	t.Run("execution rates", func(t *testing.T) {
		b.use(t)
		// 57,000.00 of 800,000.00 is 7.125%: the engine rounds it half-up
		// to 7.13. The unit states 7.12, which the pages show apart.
		const id, dept = "RATE-01", "执行率测试局"
		doc := fmt.Sprintf(`[{"id": %q, "name": "执行率测试项目", "department": %q, "year": 2024,
			"budget_adjusted": 800000.00, "spent": 57000.00, "execution_rate": 7.12,
			"indicators": [
				{"level1": "产出指标", "level2": "数量指标", "name": "数量", "direction": ">=", "target": 10, "actual": 10},
				{"level1": "效益指标", "level2": "社会效益指标", "name": "效益", "direction": "qualitative", "rating": "达成"},
				{"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "满意度", "direction": ">=", "target": 90, "actual": 95}]}]`, id, dept)
		if res, body := st.call(t, http.MethodPost, "/api/v1/projects", jixiao.RoleScorer, strings.NewReader(doc), "application/json"); res.StatusCode != http.StatusOK {
			t.Fatalf("creating %s: %d %s", id, res.StatusCode, body)
		}
		// A fresh page load, so that the new department is among the choices.
		b.do(chromedp.Navigate(st.url + "/?fresh=1#/projects?year=2024&department=" + url.QueryEscape(dept)))
		b.ready("projects")
		const label = "计算执行率（%）"
		column := func() string {
			js, _ := json.Marshal([]string{label, id})
			return run(b, chromedp.Evaluate[string](fmt.Sprintf(`(([label, id]) => {
				const t = document.querySelector('#projects-table');
				const i = [...t.querySelectorAll('thead th')].findIndex((th) => th.textContent.trim() === label);
				const row = [...t.querySelectorAll('tbody tr')].find((r) => r.cells[0].textContent.trim() === id);
				return i < 0 || !row ? '<no cell>' : row.cells[i].textContent.trim();
			})(%s)`, js)))
		}
		if got := column(); got != "—" {
			t.Errorf("%s before scoring: %q, want —", label, got)
		}
		heads := b.texts("#projects-table thead th")
		if slices.Contains(heads, "执行率（%）") || slices.Contains(heads, "填报执行率（%）") {
			t.Errorf("the list labels a rate ambiguously: %v", heads)
		}
		if title := b.attr(`#projects-table thead th[title*="评分引擎"]`, "title"); !strings.Contains(title, "规则集") {
			t.Errorf("the computed rate's header has no note: %q", title)
		}

		b.do(chromedp.SetValue(chromedp.CSS("#eval-statuses"), allStatuses), chromedp.Click(chromedp.CSS("#run-evaluation")))
		b.waitText("#evaluation-result .alert.success", "评分 1 个项目")
		b.waitText("#projects-table", "90.71")
		if got := column(); got != "7.13" {
			t.Errorf("%s after scoring: %q, want 7.13 as the engine computed it", label, got)
		}
		b.shoot("projects-rates")

		b.follow(chromedp.Click(chromedp.CSS(`#projects-table a[href="#/projects/2024/`+id+`"]`)), "projects")
		for _, c := range []struct{ sel, want string }{
			{"#computed-rate", "7.13"},
			{"#stated-rate", "7.12"},
		} {
			if got := b.text(c.sel); got != c.want {
				t.Errorf("%s: %q, want %q", c.sel, got, c.want)
			}
		}
		labels := b.texts("dl.facts dt")
		for _, want := range []string{"填报执行率（%）", "计算执行率（%）"} {
			if !slices.Contains(labels, want) {
				t.Errorf("the project page lacks the label %s: %v", want, labels)
			}
		}
		if note := b.text("#rate-note"); !strings.Contains(note, "cn-mof-2020-self") || !strings.Contains(note, "评分引擎") {
			t.Errorf("rate note: %q", note)
		}
		if title := b.attr("#computed-rate", "title"); !strings.Contains(title, "评分引擎") {
			t.Errorf("computed rate tooltip: %q", title)
		}
		b.shoot("project-rates")

		// The 自评表 the page links to shows the same computed rate.
		res, body := st.call(t, http.MethodGet, "/api/v1/projects/2024/"+id+"/form.xlsx", jixiao.RoleViewer, nil, "")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("the form of %s: %d %s", id, res.StatusCode, body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		head, _ := f.GetCellValue("自评表", "H6")
		shown, _ := f.GetCellValue("自评表", "H7")
		raw, _ := f.GetCellValue("自评表", "H7", excelize.Options{RawCellValue: true})
		if head != "计算执行率" || shown != "7.13%" || raw != "0.0713" {
			t.Errorf("the form's rate: %s over %q (holds %q), want 计算执行率 over 7.13%% (0.0713)", head, shown, raw)
		}
	})

	t.Run("signed out", func(t *testing.T) {
		b.use(t)
		// A key that stops working sends the user back to the login page.
		b.do(chromedp.Evaluate[chromedp.Void](`sessionStorage.setItem('jixiao.apiKey', 'jx_revoked')`))
		b.goTo("#/rulesets", "login")
		b.waitText(".login .alert", "unknown or revoked")
	})
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// browser is one Chromium tab with the console watched.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string // where screenshots go
	dl    string // where downloads go

	mu       sync.Mutex
	problems []string // console errors and exceptions not yet reported
}

func newBrowser(t *testing.T, base, chromium string) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })

	shots := os.Getenv("JIXIAO_SCREENSHOTS")
	if shots == "" {
		shots = t.ArtifactDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	b := &browser{t: t, ctx: ctx, shots: shots, dl: t.TempDir()}

	// Start the browser with no deadline, then watch the console.
	start, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	if err := chromedp.Listen(ctx, b.watch); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.CallBrowser(start, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: b.dl,
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(start, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	return b
}

// watch keeps console errors, uncaught exceptions and browser-log errors
// other than failed requests (the pages show those themselves).
func (b *browser) watch(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg = fmt.Sprintf("exception: %s %s:%d", d.Text, d.URL, d.LineNumber+1)
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range e.Args {
			parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
		}
		msg = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		if e.Entry.Level != log.EntryLevelError || e.Entry.Source == log.EntrySourceNetwork {
			return
		}
		msg = fmt.Sprintf("browser log (%s): %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL)
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, msg)
	b.mu.Unlock()
}

// use makes t the test that b reports to; when t ends, any console error
// seen meanwhile fails it.
func (b *browser) use(t *testing.T) {
	b.t = t
	t.Cleanup(b.checkConsole)
}

func (b *browser) checkConsole() {
	b.mu.Lock()
	problems := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range problems {
		b.t.Errorf("console: %s", p)
	}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

func (b *browser) eval(js string) bool { b.t.Helper(); return run(b, chromedp.Evaluate[bool](js)) }

func (b *browser) wait(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.fail("waiting for %s: %v", sel, err)
	}
}

// fail stops the test with what the page shows.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash + '\n' + document.body.innerText`))
	b.checkConsole()
	b.t.Fatalf(format+"\nthe page shows:\n%s", append(args, got)...)
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, chromedp.Text(chromedp.CSS(sel))))
}

func (b *browser) texts(sel string) []string {
	b.t.Helper()
	js, _ := json.Marshal(sel)
	return run(b, chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll(%s)].map((e) => e.textContent.trim())`, js)))
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	js, _ := json.Marshal(sel)
	return run(b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%s).length`, js)))
}

func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	js, _ := json.Marshal(sel)
	attr, _ := json.Marshal(name)
	return run(b, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%s)?.getAttribute(%s) ?? ''`, js, attr)))
}

// waitText waits until the element sel shows text containing want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	js, _ := json.Marshal(sel)
	w, _ := json.Marshal(want)
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`(document.querySelector(%s)?.innerText || '').includes(%s)`, js, w),
		chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.fail("waiting for %q in %s: %v", want, sel, err)
	}
}

// ready waits until the page section has rendered.
func (b *browser) ready(section string) {
	b.t.Helper()
	b.wait(fmt.Sprintf(`#main > .view[data-page="%s"][data-ready="true"]:not([data-stale])`, section))
}

// goTo follows a hash route and waits for its page.
func (b *browser) goTo(hash, section string) {
	b.t.Helper()
	js, _ := json.Marshal(hash)
	b.follow(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = %s`, js)), section)
}

// follow runs an action that leaves the page, such as a click on a link,
// and waits for the next page, not the one it leaves.
func (b *browser) follow(action chromedp.Action[chromedp.Void], section string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#main > .view')?.setAttribute('data-stale', '')`), action)
	b.ready(section)
}

func (b *browser) login(key string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#api-key').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#api-key"), key), chromedp.Click(chromedp.CSS("#login-button")))
	b.ready("projects")
}

// upload chooses a file for the import page and imports it.
func (b *browser) upload(path string, data []byte) {
	b.t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{path}), chromedp.Click(chromedp.CSS("#run-import")))
}

// downloaded waits for the next finished download and returns it.
func (b *browser) downloaded() []byte {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(b.dl)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".crdownload") {
				continue
			}
			p := filepath.Join(b.dl, e.Name())
			if data, err := os.ReadFile(p); err == nil && len(data) > 0 {
				os.Remove(p)
				return data
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatal("no download")
	return nil
}

// shoot checks the page at each viewport, that it does not scroll
// sideways (wide tables scroll in their own box), and saves a screenshot
// of each; with -update, the 1280×800 shots of the projects and what-if
// pages are written to docs/screenshots too.
func (b *browser) shoot(name string) {
	b.t.Helper()
	for _, v := range viewports {
		opts := []chromedp.EmulateViewportOption{}
		if v.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		b.do(chromedp.EmulateViewport(v.width, v.height, opts...), chromedp.Sleep(200*time.Millisecond))
		if overflow := run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); overflow > 0 {
			b.t.Errorf("%s at %s: the page is %dpx wider than the screen", name, v.name, overflow)
		}
		shot := run(b, chromedp.CaptureScreenshot())
		full := run(b, chromedp.FullScreenshot(100))
		b.save(filepath.Join(b.shots, name+"-"+v.name+".png"), shot)
		b.save(filepath.Join(b.shots, name+"-"+v.name+"-full.png"), full)
		if v.name == "1280x800" && (name == "projects" || name == "whatif") && (*update || os.Getenv("JIXIAO_UPDATE_SCREENSHOTS") != "") {
			b.save(filepath.Join("..", "docs", "screenshots", name+".png"), shot)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 800))
}

func (b *browser) save(path string, data []byte) {
	b.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
