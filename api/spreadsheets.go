package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/spreadsheet"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// attachment names a download; the UTF-8 form keeps Chinese file names.
func attachment(c *gin.Context, contentType, name string) {
	c.Header("Content-Type", contentType)
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, asciiName(name), url.PathEscape(name)))
}

// asciiName is the plain filename parameter: printable ASCII only, so
// that no byte of a name can end the header or smuggle in another.
func asciiName(name string) string {
	out := []rune{}
	for _, r := range name {
		if r >= 0x20 && r < 0x7f && r != '"' && r != '\\' {
			out = append(out, r)
		} else {
			out = append(out, '_')
		}
	}
	return string(out)
}

func (s *Server) importTemplate(c *gin.Context) {
	var buf bytes.Buffer
	if err := spreadsheet.WriteTemplate(&buf); err != nil {
		s.fail(c, err)
		return
	}
	attachment(c, xlsxType, "jixiao-导入模板.xlsx")
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
}

// readUpload reads the multipart field "file" within the upload limit.
func (s *Server) readUpload(c *gin.Context) (name string, data []byte, err error) {
	if mt := c.ContentType(); mt != "multipart/form-data" {
		return "", nil, jixiao.Errorf(jixiao.EUNSUPPORTED, "Content-Type 须为 multipart/form-data，文件放在字段 \"file\" 中，收到 %q", c.GetHeader("Content-Type"))
	}
	fh, err := c.FormFile("file")
	if err != nil {
		if tooLarge(err) {
			return "", nil, jixiao.Errorf(jixiao.ETOOLARGE, "请求内容超过 %d 字节的上限", s.maxBody)
		}
		return "", nil, invalidField("file", "attach the workbook as the form field \"file\"")
	}
	limit := spreadsheet.DefaultLimits().MaxBytes
	if fh.Size > limit {
		return "", nil, jixiao.Errorf(jixiao.ETOOLARGE, "the file is %d bytes, over the %d-byte limit", fh.Size, limit)
	}
	f, err := fh.Open()
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", nil, err
	}
	return fh.Filename, data, nil
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return err == multipart.ErrMessageTooLarge || asMaxBytes(err, &mbe)
}

// importProblems turns import problems into a problem response's details.
func importProblems(summary string, problems []spreadsheet.Problem) error {
	e := jixiao.Errorf(jixiao.EINVALID, "%s", summary)
	for _, p := range problems {
		field := p.Sheet + "!" + p.Column
		if p.Row > 0 {
			field += strconv.Itoa(p.Row)
		}
		e.Details = append(e.Details, jixiao.FieldError{Project: p.Project, Field: field, Sheet: p.Sheet, Row: p.Row, Column: p.Column, Message: p.Message})
	}
	return e
}

type importResponse struct {
	Format       string                `json:"format"`
	Imported     jixiao.Upserted       `json:"imported"`
	Problems     []spreadsheet.Problem `json:"problems"`
	MoreProblems int                   `json:"more_problems"`
	Invalid      []string              `json:"invalid"`
}

// importSummary is the detail of an import refused for its problems, in
// the words of the finance staff who read it.
func importSummary(imp *spreadsheet.Import, name string) string {
	n := len(imp.Problems) + imp.MoreProblems
	listed := ""
	if imp.MoreProblems > 0 {
		listed = fmt.Sprintf("（只列出前 %d 个）", len(imp.Problems))
	}
	return fmt.Sprintf("%s 有 %d 个问题%s，没有导入任何项目：请改正后重新上传，或加 ?partial=true 只导入没有问题的项目", name, n, listed)
}

// importProjects reads a workbook, CSV or JSON file and stores its
// projects, all or nothing; with ?partial=true it stores the valid ones
// and lists the rest.
func (s *Server) importProjects(c *gin.Context) {
	partial := c.Query("partial") == "true"
	name, data, err := s.readUpload(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	imp, err := spreadsheet.Read(bytes.NewReader(data), name, spreadsheet.DefaultLimits())
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(imp.Problems) > 0 && !partial {
		s.fail(c, importProblems(importSummary(imp, name), imp.Problems))
		return
	}
	resp := importResponse{Format: imp.Format, Problems: imp.Problems, MoreProblems: imp.MoreProblems, Invalid: imp.Invalid}
	if resp.Problems == nil {
		resp.Problems = []spreadsheet.Problem{}
	}
	if resp.Invalid == nil {
		resp.Invalid = []string{}
	}
	if len(imp.Projects) > 0 {
		counts, err := s.store.UpsertProjects(c.Request.Context(), imp.Projects)
		if err != nil {
			s.fail(c, err)
			return
		}
		resp.Imported = counts
		s.audit(c, "projects.import", name, gin.H{"format": imp.Format, "counts": counts, "invalid": len(imp.Invalid)})
	}
	c.JSON(http.StatusOK, resp)
}

// markedWorkbook returns the uploaded workbook with its problem cells
// marked and commented, for the user to fix in Excel.
func (s *Server) markedWorkbook(c *gin.Context) {
	name, data, err := s.readUpload(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	imp, err := spreadsheet.Read(bytes.NewReader(data), name, spreadsheet.DefaultLimits())
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := spreadsheet.MarkWorkbook(&buf, data, name, imp.Problems, imp.MoreProblems); err != nil {
		s.fail(c, err)
		return
	}
	attachment(c, xlsxType, "问题标注-"+baseName(name)+".xlsx")
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
}

func baseName(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[:i]
		}
	}
	return name
}

// projectForm writes the 项目支出绩效自评表 of a project's latest official
// score, or of ?score=ID.
func (s *Server) projectForm(c *gin.Context) {
	year, ok := s.pathYear(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	sp, err := s.store.FindProject(ctx, year, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	var rec *jixiao.ScoreRecord
	if id := c.Query("score"); id != "" {
		n, perr := strconv.ParseInt(id, 10, 64)
		if perr != nil {
			s.fail(c, invalidField("score", "must be a score id, got %q", id))
			return
		}
		rec, err = s.store.FindScore(ctx, n)
		if err == nil && (rec.ProjectID != sp.Project.ID || rec.Year != year) {
			err = jixiao.Errorf(jixiao.ENOTFOUND, "score %d is not a score of %s", n, sp.Project.ID)
		}
	} else {
		rec, err = s.store.LatestScore(ctx, sp.Key)
		if jixiao.ErrorCode(err) == jixiao.ENOTFOUND {
			err = jixiao.Errorf(jixiao.ENOTFOUND, "project %s has no official score yet: run an evaluation first", sp.Project.ID)
		}
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	input, err := spreadsheet.WriteStoredForm(ctx, &buf, s.store, rec, year, s.scoreWithVersion)
	if err != nil {
		s.fail(c, err)
		return
	}
	attachment(c, xlsxType, fmt.Sprintf("%s-%s-自评表.xlsx", input.ID, input.Name))
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
}

// scoreWithVersion scores p with a rule-set version, named by its hash.
func (s *Server) scoreWithVersion(ctx context.Context, hash string, p *jixiao.Project) (*jixiao.Result, error) {
	rs, err := s.ruleSetByRef(ctx, hash)
	if err != nil {
		return nil, err
	}
	return rs.ScoreOne(p)
}

// exportSummary streams the summary workbook of the scores that match the
// filter (?run, ?year, ?department, ?grade, ?ruleset), a page at a time.
func (s *Server) exportSummary(c *gin.Context) {
	f, err := readScoreFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f.Limit = 1000
	runID := f.RunID
	ctx := c.Request.Context()
	page, total, err := s.store.FindScores(ctx, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	if total == 0 {
		s.fail(c, jixiao.Errorf(jixiao.ENOTFOUND, "no scores match the filter"))
		return
	}
	title := "绩效评分汇总"
	if runID > 0 {
		title = fmt.Sprintf("绩效评分汇总（评价批次 %d）", runID)
	}
	attachment(c, xlsxType, "jixiao-评分汇总.xlsx")
	c.Status(http.StatusOK)
	if err := spreadsheet.WriteScoreSummary(ctx, c.Writer, title, s.store, f, page); err != nil {
		s.logger.Error("summary export", "error", err) // the headers are sent: the download breaks off
	}
}
