package spreadsheet

import (
	"bytes"
	"path/filepath"
	"strings"

	"jixiao"
)

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
)

// isOpenDocument reports an OpenDocument file (.ods and its kin): a zip
// whose first entry, stored uncompressed, is "mimetype" holding
// application/vnd.oasis.opendocument.…, as the standard requires.
func isOpenDocument(data []byte) bool {
	const header = 30 // a zip local file header before the name
	name, mime := []byte("mimetype"), []byte("application/vnd.oasis.opendocument.")
	return bytes.HasPrefix(data, zipMagic) && len(data) >= header+len(name)+len(mime) &&
		bytes.Equal(data[header:header+len(name)], name) &&
		bytes.HasPrefix(data[header+len(name):], mime)
}

// detectFormat tells xlsx, csv or json from the content and the name.
func detectFormat(data []byte, name string) (string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return "", jixiao.Errorf(jixiao.EINVALID, "文件是空的")
	}
	if isOpenDocument(data) {
		return "", jixiao.Errorf(jixiao.EUNSUPPORTED, "这是 OpenDocument 表格（.ods），无法读取：请在 WPS、Excel 或 LibreOffice 中另存为 .xlsx 后再上传")
	}
	if bytes.HasPrefix(data, zipMagic) || bytes.HasPrefix(data, []byte("PK\x05\x06")) {
		return "xlsx", nil
	}
	if bytes.HasPrefix(data, oleMagic) {
		return "", jixiao.Errorf(jixiao.EUNSUPPORTED, "这是旧版 .xls 文件或设置了密码的工作簿，无法读取：请在 Excel 或 WPS 中另存为 .xlsx（不设密码）后再上传")
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm", ".xltx", ".xltm":
		return "", jixiao.Errorf(jixiao.EMALFORMED, "文件名是 %s，但内容不是 Excel 工作簿：请确认文件没有损坏", filepath.Ext(name))
	case ".xls", ".et", ".ods", ".numbers":
		return "", jixiao.Errorf(jixiao.EUNSUPPORTED, "不支持 %s 格式：请在 Excel 或 WPS 中另存为 .xlsx 后再上传", filepath.Ext(name))
	case ".json":
		return "json", nil
	case ".csv", ".txt", ".tsv":
		return "csv", nil
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return "json", nil
	}
	if bytes.HasPrefix(data, utf16LE) || bytes.HasPrefix(data, utf16BE) || bytes.IndexByte(data, 0) < 0 {
		return "csv", nil
	}
	return "", jixiao.Errorf(jixiao.EUNSUPPORTED, "无法识别的文件格式：请上传 .xlsx、.csv 或 .json 文件")
}
