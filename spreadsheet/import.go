package spreadsheet

import (
	"fmt"
	"io"
	"strings"

	"jixiao"
)

// Problem is one import problem, located for the user: the sheet, the
// row as the spreadsheet numbers it, the column by its header as
// written in the file (or, for a missing column, its name on the
// template; for a column without a header, its letter), the project
// when known, and a message in plain Chinese.
//
// For a JSON upload, Sheet is empty, Row is the project's position in
// the document (1-based) and Column the field, such as
// "indicators[0].target"; the message is the JSON decoder's.
type Problem struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Project string `json:"project,omitempty"`
	Message string `json:"message"`
}

// Import is what an import found. Projects holds only the projects
// without any problem. A problem need not belong to a project (a header,
// an indicator whose project is not in the file), so an upload is clean
// only when Problems is empty.
type Import struct {
	Format   string           // "xlsx", "csv" or "json"
	Projects []jixiao.Project // the valid projects, in order
	Problems []Problem        // the first MaxProblems problems, in sheet/row order
	// MoreProblems counts the problems found beyond Problems, which are
	// not listed.
	MoreProblems int
	Invalid      []string // ids (or "第N行") of the projects that have problems
}

// MaxProblems bounds the problems an import lists (and a marked workbook
// marks); more are counted, not listed.
const MaxProblems = 1000

// Read parses an upload: an .xlsx workbook, a CSV file or a project
// document in JSON. name is the file's name; its extension chooses the
// format, except that content starting as a zip archive is always read
// as a workbook. A file that cannot be read at all is an error with code
// jixiao.EINVALID, EMALFORMED, EUNSUPPORTED or ETOOLARGE; problems in
// rows are in Import.Problems.
func Read(r io.Reader, name string, limits Limits) (*Import, error) {
	lim := limits.withDefaults()
	data, err := readLimited(r, lim.MaxBytes)
	if err != nil {
		return nil, err
	}
	format, err := detectFormat(data, name)
	if err != nil {
		return nil, err
	}
	switch format {
	case "xlsx":
		return readXLSX(data, lim)
	case "csv":
		return readCSV(data, name, lim)
	}
	return readJSON(data)
}

// readJSON reads the JSON project format, each rejection becoming
// problems located by project position and field.
func readJSON(data []byte) (*Import, error) {
	in, err := jixiao.DecodeProjectsBytes(data)
	if err != nil {
		return nil, err
	}
	imp := &Import{Format: "json", Projects: in.Projects}
	for pos, e := range in.Order {
		if e.Rejected < 0 {
			continue
		}
		rej := in.Rejected[e.Rejected]
		id := rej.ProjectID
		if strings.HasPrefix(id, "#") {
			id = ""
		}
		for _, msg := range rej.Errors {
			field, text, ok := strings.Cut(msg, ": ")
			if !ok || strings.ContainsAny(field, " \"") {
				field, text = "", msg
			}
			imp.Problems = append(imp.Problems, Problem{Row: pos + 1, Column: field, Project: id, Message: text})
		}
		label := id
		if label == "" {
			label = fmt.Sprintf("第%d个项目", pos+1)
		}
		imp.Invalid = append(imp.Invalid, label)
	}
	return imp, nil
}
