package web_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	_ "github.com/mattn/go-sqlite3"

	"jixiao"
	"jixiao/passwords"
)

// person makes a user who logs in with password (no change asked for).
func (st *stack) person(t *testing.T, u jixiao.User, password string) {
	t.Helper()
	hash, err := passwords.New(passwords.Recommended, 1).Hash(context.Background(), password)
	if err != nil {
		t.Fatal(err)
	}
	u.PasswordHash = hash
	if err := st.store.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
}

// passwordLogin logs in on the login page and waits for the page it
// leads to.
func (b *browser) passwordLogin(name, password, section string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#login-name').value = ''; document.querySelector('#login-password').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#login-name"), name), chromedp.SendKeys(chromedp.CSS("#login-password"), password))
	b.follow(chromedp.Click(chromedp.CSS("#password-login-button")), section)
}

// TestBrowserReviewFlow: a department's user logs in, imports a project
// and submits it; the bureau's reviewer finds it in the queue and returns
// it with a comment on an indicator; the department sees the comment,
// fixes the project by importing it again and resubmits; the reviewer
// compares the versions and approves with a deduction; an evaluation
// scores the approved version. Then the session ends by idling, and the
// page asks for a login again.
func TestBrowserReviewFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser tests need Chromium; run them without -short")
	}
	chromium := needChromium(t)
	st := newStack(t)
	ctx := context.Background()
	// The workbook helper's projects belong to 怀化市财政局.
	if err := st.store.CreateDepartment(ctx, &jixiao.Department{Code: "CZJ", Name: "怀化市财政局"}); err != nil {
		t.Fatal(err)
	}
	st.person(t, jixiao.User{Name: "tian.jia", DisplayName: "田甲", Role: jixiao.RoleScorer, Department: "CZJ"}, "田甲的密码 2024")
	st.person(t, jixiao.User{Name: "shen.he", DisplayName: "审核人", Role: jixiao.RoleReviewer}, "审核人的密码 2024")
	res, template := st.call(t, http.MethodGet, "/api/v1/import/template", jixiao.RoleViewer, nil, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET the template: %d %s", res.StatusCode, template)
	}
	dir := t.TempDir()
	projectHash := "#/projects/2024/" + importedID

	b := newBrowser(t, st.url, chromium)
	b.use(t)
	b.do(chromedp.Navigate(st.url + "/"))
	b.ready("login")

	// The department: its own projects only, none yet; imports one and
	// submits it.
	b.passwordLogin("tian.jia", "田甲的密码 2024", "projects")
	b.goTo("#/review", "review")
	b.waitText("h1", "我的项目")
	if n := b.count("#review-table tbody tr td.empty"); n != 1 {
		t.Errorf("a new department has projects: %s", b.text("#review-table"))
	}
	b.goTo("#/import", "import")
	first, _ := workbook(t, template, "90000")
	b.upload(filepath.Join(dir, "first.xlsx"), first)
	b.waitText("#import-result .alert.success", "新增 1 个")
	b.goTo(projectHash, "projects")
	b.waitText("#main", "草稿")
	b.follow(chromedp.Click(chromedp.CSS("#submit-button")), "projects")
	b.waitText("#review-status", "已提交")
	b.shoot("review-submitted")
	b.follow(chromedp.Click(chromedp.CSS("#logout")), "login")

	// The bureau: the queue shows the submission; returned with comments.
	b.passwordLogin("shen.he", "审核人的密码 2024", "projects")
	b.goTo("#/review", "review")
	b.waitText("h1", "审核队列")
	if got := b.text("#review-table"); !strings.Contains(got, importedID) || strings.Contains(got, "HH2024-01") {
		t.Errorf("the queue of submissions: %s", got)
	}
	b.shoot("review-queue")
	b.follow(chromedp.Click(chromedp.CSS(`#review-table a[href="`+projectHash+`"]`)), "projects")
	b.wait("#review-comment")
	indicator := b.attr("#review-indicators .indicator-comment", "data-name")
	b.do(chromedp.SendKeys(chromedp.CSS("#review-comment"), "执行数与账面不符，请核对"),
		chromedp.SendKeys(chromedp.CSS("#review-indicators .indicator-comment"), "请补充完成情况说明"))
	b.follow(chromedp.Click(chromedp.CSS("#return-button")), "projects")
	b.waitText("#return-comments", "执行数与账面不符，请核对")
	b.shoot("review-returned")
	b.follow(chromedp.Click(chromedp.CSS("#logout")), "login")

	// The department sees the comments, fixes the project and resubmits.
	b.passwordLogin("tian.jia", "田甲的密码 2024", "projects")
	b.goTo("#/review?status=returned", "review")
	b.waitText("#review-table", importedID)
	b.shoot("review-mine")
	b.goTo(projectHash, "projects")
	b.waitText("#return-comments", "执行数与账面不符，请核对")
	b.waitText("#return-comments", indicator+"：请补充完成情况说明")
	b.goTo("#/import", "import")
	fixed, _ := workbook(t, template, "95000")
	b.upload(filepath.Join(dir, "fixed.xlsx"), fixed)
	b.waitText("#import-result .alert.success", "更新 1 个")
	b.goTo(projectHash, "projects")
	b.follow(chromedp.Click(chromedp.CSS("#submit-button")), "projects")
	b.waitText("#review-status", "已提交")
	// Submitted: the department can no longer change it.
	b.goTo("#/import", "import")
	b.upload(filepath.Join(dir, "again.xlsx"), first)
	b.waitText("#import-result", "部门不能再修改")
	b.follow(chromedp.Click(chromedp.CSS("#logout")), "login")

	// The reviewer compares the two submissions and approves with a
	// deduction.
	b.passwordLogin("shen.he", "审核人的密码 2024", "projects")
	b.goTo(projectHash, "projects")
	b.wait("#compare-button")
	b.do(chromedp.Click(chromedp.CSS("#compare-button")))
	b.waitText("#compare-result .del", `"spent": 90000`)
	b.waitText("#compare-result .add", `"spent": 95000`)
	b.shoot("review-compare")
	b.do(chromedp.SendKeys(chromedp.CSS("#review-indicators .deduction-points"), "1.5"),
		chromedp.SendKeys(chromedp.CSS("#review-indicators .deduction-reason"), "佐证材料不全"))
	b.follow(chromedp.Click(chromedp.CSS("#approve-button")), "projects")
	b.waitText("#review-status", "已审核")
	b.waitText("#review-history", indicator+" 扣 1.5 分：佐证材料不全")

	// The bureau's evaluation scores the approved version, with the
	// deduction in the indicator's reason.
	b.goTo("#/projects?year=2024", "projects")
	b.do(chromedp.Click(chromedp.CSS("#run-evaluation")))
	b.waitText("#evaluation-result .alert.success", "评分 27 个项目")
	b.goTo(projectHash, "projects")
	b.waitText("#score-tree", "复核扣减 1.5 分（佐证材料不全）")
	_, body := st.call(t, http.MethodGet, "/api/v1/projects/2024/"+importedID, jixiao.RoleViewer, nil, "")
	var p struct {
		Status string          `json:"status"`
		Spent  json.RawMessage `json:"spent"`
		Score  *struct {
			InputHash string `json:"input_hash"`
		} `json:"score"`
		InputHash string `json:"input_hash"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != jixiao.StatusApproved || string(p.Spent) != "95000.00" || p.Score == nil || p.Score.InputHash != p.InputHash {
		t.Errorf("the approved project and its score: %s", body)
	}

	// Idle past the session's limit: the next step sends the user to the
	// login page, saying why.
	db, err := sql.Open("sqlite3", st.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE sessions SET seen_at = ?`, time.Now().Add(-2*time.Hour).UTC()); err != nil {
		t.Fatal(err)
	}
	b.follow(chromedp.Navigate(st.url+"/?idle=1#/review"), "login")
	b.waitText(".alert.warning", "请重新登录")
	b.passwordLogin("shen.he", "审核人的密码 2024", "review")
}
