package spreadsheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"jixiao"
)

// A CSV file holds one table, so the 项目 and 绩效指标 sheets share it:
// one row per indicator, with both the project columns and the indicator
// columns (the "combined" layout, which a workbook sheet may use too).
// Rows with the same 项目编号 (and 年度) are one project; on its later
// rows the project columns may be left blank, and must otherwise agree
// with the first. A row whose 项目编号 is blank continues the project of
// the row above. A project without indicators is one row with the
// indicator columns blank.

var (
	utf8BOM = []byte("\xef\xbb\xbf")
	utf16LE = []byte("\xff\xfe")
	utf16BE = []byte("\xfe\xff")
)

// Names of the encodings, as the messages give them.
const (
	encUTF8  = "UTF-8"
	encUTF16 = "UTF-16"
	encGBK   = "GBK"
)

// decodeCSV turns a CSV file into text. UTF-8, with or without a byte
// order mark, and UTF-16 with one (Excel's "Unicode text") are told by
// their bytes. Anything else is read as GBK (GB 18030), which is what
// Excel writes for "CSV (逗号分隔)" on a Chinese Windows; the caller
// confirms the guess by finding the header row in the result.
func decodeCSV(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		rest := data[len(utf8BOM):]
		if !utf8.Valid(rest) {
			return "", "", jixiao.Errorf(jixiao.EINVALID, "文件开头标明是 UTF-8 编码，但内容不是有效的 UTF-8：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再上传")
		}
		return string(rest), encUTF8, nil
	case bytes.HasPrefix(data, utf16LE), bytes.HasPrefix(data, utf16BE):
		return decodeUTF16(data)
	case utf8.Valid(data):
		return string(data), encUTF8, nil
	case bytes.IndexByte(data, 0) >= 0:
		return "", "", jixiao.Errorf(jixiao.EINVALID, "这不是文本格式的 CSV 文件：请上传 .xlsx，或在 Excel 中另存为“CSV UTF-8（逗号分隔）”")
	}
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || bytes.ContainsRune(text, utf8.RuneError) {
		return "", "", undecodable()
	}
	return string(text), encGBK, nil
}

func undecodable() error {
	return jixiao.Errorf(jixiao.EINVALID, "无法识别 CSV 文件的编码：既不是 UTF-8，也不是 GBK。请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”后再上传")
}

// decodeUTF16 decodes UTF-16 text that starts with a byte order mark.
func decodeUTF16(data []byte) (string, string, error) {
	if len(data)%2 != 0 {
		return "", "", undecodable()
	}
	le := bytes.HasPrefix(data, utf16LE)
	units := make([]uint16, 0, len(data)/2-1)
	for i := 2; i+1 < len(data); i += 2 {
		if le {
			units = append(units, uint16(data[i])|uint16(data[i+1])<<8)
		} else {
			units = append(units, uint16(data[i])<<8|uint16(data[i+1]))
		}
	}
	runes := utf16.Decode(units)
	for _, r := range runes {
		if r == utf8.RuneError {
			return "", "", undecodable()
		}
	}
	return string(runes), encUTF16, nil
}

// csvComma chooses the separator: a tab when the header line has more
// tabs than commas (Excel's "Unicode text" and "文本文件（制表符分隔）"),
// else a comma.
func csvComma(text string) rune {
	line := text
	for l := range strings.Lines(text) {
		if strings.Contains(l, specs[fID].header) {
			line = l
			break
		}
	}
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if strings.Count(line, "\t") > strings.Count(line, ",") {
		return '\t'
	}
	return ','
}

// readCSVRecords calls each for every record, numbered as a spreadsheet
// numbers the rows when it opens the file: an empty line is an empty
// row, and a quoted field with line breaks stays in one row.
func readCSVRecords(text string, each func(row int, rec []string) error) error {
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = csvComma(text)
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	row, end := 0, 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return jixiao.Errorf(jixiao.EMALFORMED, "CSV 文件第 %d 行格式有误（%v）：请检查引号是否成对", pe.StartLine, pe.Err)
			}
			return jixiao.Errorf(jixiao.EMALFORMED, "CSV 文件无法读取：%v", err)
		}
		start, _ := cr.FieldPos(0)
		row += start - end
		last := len(rec) - 1
		line, _ := cr.FieldPos(last)
		end = line + strings.Count(rec[last], "\n")
		if err := each(row, rec); err != nil {
			return err
		}
	}
}

// readCSV reads a CSV upload as one sheet of the combined layout.
func readCSV(data []byte, name string, lim Limits) (*Import, error) {
	text, enc, err := decodeCSV(data)
	if err != nil {
		return nil, err
	}
	sheetName := csvSheetName(name)
	sh := &sheet{name: sheetName}
	b := &budget{lim: lim}
	rows, searching := 0, true
	err = readCSVRecords(text, func(row int, rec []string) error {
		if !searching {
			return nil
		}
		if err := b.grid(sheetName, len(rec)); err != nil {
			return err
		}
		cells := makeRow(rec, nil)
		if len(cells) == 0 {
			return nil
		}
		rows++
		if err := b.row(sheetName, rows, len(cells)); err != nil {
			return err
		}
		searching = sh.add(row, cells)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sh.header == 0 {
		if enc == encGBK {
			return nil, undecodable()
		}
		return nil, jixiao.Errorf(jixiao.EINVALID, "找不到列标题行：CSV 文件的前 %d 行中没有同时写有“项目编号”和其他列标题的一行；请使用导入模板的列名", headerSearch)
	}
	return newImporter("csv").run([]*sheet{sh})
}

// csvSheetName is the sheet name a spreadsheet gives a CSV file when it
// opens it: the file's name without its extension, cut to 31
// characters and without the characters a sheet name cannot have.
func csvSheetName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSuffix(name, filepath.Ext(name))
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) || r < ' ' {
			return -1
		}
		return r
	}, name)
	name = strings.Trim(clean(name), "'")
	var b strings.Builder
	n := 0
	for _, r := range name {
		w := utf16.RuneLen(r)
		if w < 0 || n+w > 31 {
			break
		}
		b.WriteRune(r)
		n += w
	}
	if b.Len() == 0 || b.String() == sheetProblems {
		return "Sheet1"
	}
	return b.String()
}

// CSVText makes a text cell of a CSV file the service writes safe to open
// in a spreadsheet program, which would take a cell that begins with =,
// +, -, @, a tab or a carriage return for a formula (CSV injection): such
// a text gets a leading '. Numbers are written as they are, not through
// this, so that they stay numbers.
func CSVText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
