package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"jixiao"
	"jixiao/demo"
	"jixiao/spreadsheet"
)

// multipartFile builds a multipart body with the form field "file".
func multipartFile(t testing.TB, name string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

func importOp(t *testing.T, path string) struct {
	method, path, role string
	body               []byte
	ctype              string
} {
	var wb bytes.Buffer
	if err := spreadsheet.WriteProjects(&wb, demo.Huaihua()[:2]); err != nil {
		t.Fatal(err)
	}
	body, ctype := multipartFile(t, "projects.xlsx", wb.Bytes())
	return struct {
		method, path, role string
		body               []byte
		ctype              string
	}{http.MethodPost, path, jixiao.RoleScorer, body, ctype}
}

func workbookOf(t *testing.T, projects []jixiao.Project) []byte {
	t.Helper()
	var wb bytes.Buffer
	if err := spreadsheet.WriteProjects(&wb, projects); err != nil {
		t.Fatal(err)
	}
	return wb.Bytes()
}

// TestImportWorkbook imports the 26 Huaihua projects from a workbook; a
// workbook with one bad cell is refused with its sheet, row and column
// and stores nothing; the marked copy comments that cell.
func TestImportWorkbook(t *testing.T) {
	st := newStack(t)
	data := workbookOf(t, demo.Huaihua())
	body, ctype := multipartFile(t, "huaihua.xlsx", data)
	var got struct {
		Format   string          `json:"format"`
		Imported jixiao.Upserted `json:"imported"`
		Problems []any           `json:"problems"`
	}
	st.do(request{method: http.MethodPost, path: "/api/v1/projects/import", role: jixiao.RoleScorer, body: body, ctype: ctype}).want(t, http.StatusOK).decode(t, &got)
	if got.Format != "xlsx" || got.Imported.Created != 26 || len(got.Problems) != 0 {
		t.Fatalf("import: %+v", got)
	}

	// Break one amount: 全年执行数 of the first project.
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	cell := findHeaderCell(t, f, "项目", "全年执行数", 2)
	f.SetCellValue("项目", cell, "约44万")
	var bad bytes.Buffer
	f.Write(&bad)
	body, ctype = multipartFile(t, "bad.xlsx", bad.Bytes())
	st.unchanged(func() {
		p := st.do(request{method: http.MethodPost, path: "/api/v1/projects/import", role: jixiao.RoleScorer, body: body, ctype: ctype}).problem(t, http.StatusUnprocessableEntity, "invalid")
		if len(p.Errors) != 1 || p.Errors[0].Sheet != "项目" || p.Errors[0].Row != 2 || p.Errors[0].Column != "全年执行数" {
			t.Errorf("errors %+v", p.Errors)
		}
	})
	res := st.do(request{method: http.MethodPost, path: "/api/v1/projects/import/marked", role: jixiao.RoleScorer, body: body, ctype: ctype}).want(t, http.StatusOK)
	marked, err := excelize.OpenReader(bytes.NewReader(res.body))
	if err != nil {
		t.Fatal(err)
	}
	comments, _ := marked.GetComments("项目")
	found := false
	for _, c := range comments {
		found = found || c.Cell == cell
	}
	if !found {
		t.Errorf("no comment on %s: %+v", cell, comments)
	}
}

func findHeaderCell(t *testing.T, f *excelize.File, sheet, header string, row int) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	for i, h := range rows[0] {
		if strings.HasPrefix(h, header) {
			name, _ := excelize.CoordinatesToCellName(i+1, row)
			return name
		}
	}
	t.Fatalf("no header %s in %v", header, rows[0])
	return ""
}

// TestFormAndSummaryDownloads: HH2024-01's 自评表 shows 执行率 91.31% and
// 得分 9.13; the summary workbook has a row per scored project.
func TestFormAndSummaryDownloads(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	st.get(jixiao.RoleViewer, "/api/v1/projects/2024/HH2024-01/form.xlsx").problem(t, http.StatusNotFound, "not_found")
	ev := st.evaluate(map[string]any{"year": 2024})

	res := st.get(jixiao.RoleViewer, "/api/v1/projects/2024/HH2024-01/form.xlsx").want(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/vnd.openxmlformats") {
		t.Errorf("content type %q", ct)
	}
	f, err := excelize.OpenReader(bytes.NewReader(res.body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(spreadsheet.FormSheet)
	text := fmt.Sprint(rows)
	for _, want := range []string{"91.31%", "9.13", "99.13", "优"} {
		if !strings.Contains(text, want) {
			t.Errorf("form lacks %q", want)
		}
	}

	res = st.get(jixiao.RoleViewer, fmt.Sprintf("/api/v1/exports/summary.xlsx?run=%d", ev.Run.ID)).want(t, http.StatusOK)
	f, err = excelize.OpenReader(bytes.NewReader(res.body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ = f.GetRows(spreadsheet.SummarySheet)
	ids := 0
	for _, r := range rows {
		if len(r) > 0 && strings.HasPrefix(r[0], "HH2024-") {
			ids++
		}
	}
	if ids != 26 {
		t.Errorf("%d project rows in the summary, want 26", ids)
	}
	st.get(jixiao.RoleViewer, "/api/v1/exports/summary.xlsx?year=1999").problem(t, http.StatusNotFound, "not_found")
	res = st.get(jixiao.RoleViewer, "/api/v1/import/template").want(t, http.StatusOK)
	if _, err := excelize.OpenReader(bytes.NewReader(res.body)); err != nil {
		t.Errorf("template: %v", err)
	}
	_ = json.Valid
}

// TestImportZipBomb: a workbook that would unpack to 1 GiB is refused
// before it is unpacked, and nothing is stored.
func TestImportZipBomb(t *testing.T) {
	st := newStack(t)
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 1024 {
		w.Write(zeros)
	}
	zw.Close()
	body, ctype := multipartFile(t, "bomb.xlsx", zbuf.Bytes())
	st.unchanged(func() {
		st.do(request{method: http.MethodPost, path: "/api/v1/projects/import", role: jixiao.RoleScorer, body: body, ctype: ctype}).problem(t, http.StatusRequestEntityTooLarge, "too_large")
	})
}

// An OpenDocument spreadsheet is told apart from a broken .xlsx, with a
// message in Chinese saying what to do.
func TestImportOpenDocument(t *testing.T) {
	st := newStack(t)
	var ods bytes.Buffer
	zw := zip.NewWriter(&ods)
	mt, err := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	mt.Write([]byte("application/vnd.oasis.opendocument.spreadsheet"))
	content, _ := zw.Create("content.xml")
	content.Write([]byte("<office:document-content/>"))
	zw.Close()
	for _, name := range []string{"项目.ods", "项目.xlsx"} {
		body, ctype := multipartFile(t, name, ods.Bytes())
		st.unchanged(func() {
			p := st.do(request{method: http.MethodPost, path: "/api/v1/projects/import", role: jixiao.RoleScorer, body: body, ctype: ctype}).
				problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
			if !strings.Contains(p.Detail, "OpenDocument 表格（.ods）") || !strings.Contains(p.Detail, "另存为 .xlsx") {
				t.Errorf("%s: %s", name, p.Detail)
			}
		})
	}
}

// A file with thousands of bad cells lists the first 1,000 problems and
// counts the rest, in the refusal and in the marked workbook.
func TestImportProblemsCapped(t *testing.T) {
	st := newStack(t)
	var csvBody strings.Builder
	csvBody.WriteString("项目编号,项目名称,年度,全年预算数,全年执行数,一级指标,二级指标,三级指标,指标性质,年度指标值,实际完成值\n")
	for i := range 3000 {
		fmt.Fprintf(&csvBody, "P-%d,项目%d,2024,100,约%d万,产出指标,数量指标,数量,>=,1,1\n", i, i, i)
	}
	body, ctype := multipartFile(t, "many.csv", []byte(csvBody.String()))
	st.unchanged(func() {
		res := st.do(request{method: http.MethodPost, path: "/api/v1/projects/import", role: jixiao.RoleScorer, body: body, ctype: ctype})
		p := res.problem(t, http.StatusUnprocessableEntity, "invalid")
		if len(p.Errors) != 1000 || !strings.Contains(p.Detail, "有 3000 个问题（只列出前 1000 个）") || p.Errors[999].Row != 1001 {
			t.Errorf("%d errors, detail %q", len(p.Errors), p.Detail)
		}
		if len(res.body) > 512<<10 {
			t.Errorf("a refusal of %d bytes", len(res.body))
		}
	})
	res := st.do(request{method: http.MethodPost, path: "/api/v1/projects/import?partial=true", role: jixiao.RoleScorer, body: body, ctype: ctype}).want(t, http.StatusOK)
	var got struct {
		Problems     []any `json:"problems"`
		MoreProblems int   `json:"more_problems"`
	}
	res.decode(t, &got)
	if len(got.Problems) != 1000 || got.MoreProblems != 2000 {
		t.Errorf("partial: %d problems, %d more", len(got.Problems), got.MoreProblems)
	}
	res = st.do(request{method: http.MethodPost, path: "/api/v1/projects/import/marked", role: jixiao.RoleScorer, body: body, ctype: ctype}).want(t, http.StatusOK)
	marked, err := excelize.OpenReader(bytes.NewReader(res.body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := marked.GetRows("问题清单")
	if len(rows) != 1002 || !strings.Contains(strings.Join(rows[1001], ""), "另有 2000 个问题未列出") {
		t.Errorf("问题清单: %d rows, last %v", len(rows), rows[len(rows)-1])
	}
}
