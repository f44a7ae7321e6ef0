package spreadsheet

import (
	"bytes"
	"errors"

	"github.com/xuri/excelize/v2"

	"jixiao"
)

// readXLSX reads a workbook, after checkZip has made sure that opening
// it cannot cost more than the limits allow.
func readXLSX(data []byte, lim Limits) (*Import, error) {
	if err := checkZip(data, lim); err != nil {
		return nil, err
	}
	f, err := openWorkbook(data, lim)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := &budget{lim: lim}
	var sheets []*sheet
	for i, name := range f.GetSheetList() {
		if name == sheetHelp || name == sheetProblems {
			continue
		}
		sh, err := readXLSXSheet(f, name, i, b)
		if err != nil {
			return nil, err
		}
		sheets = append(sheets, sh)
	}
	return newImporter("xlsx").run(sheets)
}

// openWorkbook opens an .xlsx already checked by checkZip.
func openWorkbook(data []byte, lim Limits) (*excelize.File, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    lim.MaxUnzipped,
		UnzipXMLSizeLimit: min(lim.MaxUnzipped, excelize.StreamChunkSize),
		CultureInfo:       excelize.CultureNameZhCN,
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || errors.Is(err, excelize.ErrWorkbookPassword) {
			return nil, jixiao.Errorf(jixiao.EUNSUPPORTED, "工作簿设置了密码或格式不受支持：请另存为不设密码的 .xlsx 后再上传")
		}
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "无法打开工作簿：文件已损坏或不是 .xlsx（%v）", err)
	}
	return f, nil
}

// readXLSXSheet streams one sheet twice in step: once for the stored
// values, which keep every digit whatever the number format, and once
// for the values as displayed, which tell dates, percentages and
// booleans apart. It stops early on a sheet without a header row.
func readXLSXSheet(f *excelize.File, name string, order int, b *budget) (*sheet, error) {
	raws, err := f.Rows(name)
	if err != nil {
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "工作表“%s”无法读取：%v", name, err)
	}
	defer raws.Close()
	shown, err := f.Rows(name)
	if err != nil {
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "工作表“%s”无法读取：%v", name, err)
	}
	defer shown.Close()
	sh := &sheet{name: name, order: order}
	num, rows := 0, 0
	for raws.Next() {
		shown.Next()
		num++
		rv, err := raws.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, jixiao.Errorf(jixiao.EMALFORMED, "工作表“%s”第 %d 行无法读取：%v", name, num, err)
		}
		sv, _ := shown.Columns(excelize.Options{})
		if err := b.grid(name, max(len(rv), len(sv))); err != nil {
			return nil, err
		}
		cells := makeRow(rv, sv)
		if len(cells) == 0 {
			continue
		}
		rows++
		if err := b.row(name, rows, len(cells)); err != nil {
			return nil, err
		}
		if !sh.add(num, cells) {
			break
		}
	}
	if err := raws.Error(); err != nil {
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "工作表“%s”无法读取：%v", name, err)
	}
	return sh, nil
}
