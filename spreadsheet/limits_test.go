package spreadsheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"jixiao"
)

func impWantTooLarge(t *testing.T, err error, phrase string) {
	t.Helper()
	if jixiao.ErrorCode(err) != jixiao.ETOOLARGE || !strings.Contains(jixiao.ErrorMessage(err), phrase) {
		t.Fatalf("err = %v, want %s naming %q", err, jixiao.ETOOLARGE, phrase)
	}
}

// TestZipBomb refuses a workbook whose one part inflates to 1 GB of
// zeros, from the archive's directory alone and fast. The archive is
// built by streaming zeros through the compressor; nothing of 1 GB is
// ever held or written.
func TestZipBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1 GB entry")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 1024 {
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 2<<20 {
		t.Fatalf("the bomb is %d bytes", buf.Len())
	}
	start := time.Now()
	_, err = Read(bytes.NewReader(buf.Bytes()), "bomb.xlsx", Limits{})
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("refusing took %v", d)
	}
	impWantTooLarge(t, err, "200 MiB")
	// MarkWorkbook refuses it too.
	impWantTooLarge(t, MarkWorkbook(io.Discard, buf.Bytes(), "bomb.xlsx", nil, 0), "200 MiB")
}

// TestZipLyingSizes refuses an archive whose directory declares a small
// part that inflates to much more: the bounded reader stops it at the
// declared size.
func TestZipLyingSizes(t *testing.T) {
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestSpeed)
	zeros := make([]byte, 1<<20)
	crc := crc32.NewIEEE()
	for range 50 {
		fw.Write(zeros)
		crc.Write(zeros)
	}
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(deflated.Bytes())
	zw.Close()
	start := time.Now()
	_, err = Read(bytes.NewReader(buf.Bytes()), "liar.xlsx", Limits{})
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("refusing took %v", d)
	}
	if code := jixiao.ErrorCode(err); code != jixiao.EMALFORMED && code != jixiao.ETOOLARGE {
		t.Fatalf("err = %v", err)
	}
}

func TestZipTooManyEntries(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range maxZipEntries + 1 {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("x/%d", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	_, err := Read(bytes.NewReader(buf.Bytes()), "many.xlsx", Limits{})
	impWantTooLarge(t, err, "10000 个")
}

func TestLimits(t *testing.T) {
	base := impBook(t, impSheet{"项目", impBaseProjects()}, impSheet{"绩效指标", impBaseIndicators()})
	csv := impCSVProjects(impDemo("HH2024-01", "HH2024-02"))
	tests := []struct {
		name   string
		data   []byte
		file   string
		limits Limits
		phrase string
	}{
		{"file size", base, "t.xlsx", Limits{MaxBytes: 1000}, "1000 字节"},
		{"file size csv", csv, "t.csv", Limits{MaxBytes: 1 << 10}, "1 KiB"},
		{"unzipped", base, "t.xlsx", Limits{MaxUnzipped: 4 << 10}, "4 KiB"},
		{"rows", base, "t.xlsx", Limits{MaxRows: 2}, "工作表“绩效指标”超过 2 行"},
		{"rows csv", csv, "t.csv", Limits{MaxRows: 5}, "工作表“t”超过 5 行"},
		{"cells", base, "t.xlsx", Limits{MaxCells: 30}, "超过 30 个"},
		{"cells csv", csv, "t.csv", Limits{MaxCells: 30}, "超过 30 个"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data), tc.file, tc.limits)
			impWantTooLarge(t, err, tc.phrase)
		})
	}
	// Within the limits, the same files read.
	for _, file := range []struct {
		data []byte
		name string
	}{{base, "t.xlsx"}, {csv, "t.csv"}} {
		if _, err := Read(bytes.NewReader(file.data), file.name, Limits{}); err != nil {
			t.Errorf("%s: %v", file.name, err)
		}
	}
}

// TestHugeSheet refuses a sheet of more rows than the default limit,
// streamed: the rows are counted as they are read.
func TestHugeSheet(t *testing.T) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"项目编号", "项目名称", "年度", "全年预算数", "全年执行数"}); err != nil {
		t.Fatal(err)
	}
	n := DefaultLimits().MaxRows
	for i := 2; i <= n+1; i++ {
		if err := sw.SetRow(fmt.Sprintf("A%d", i), []any{fmt.Sprintf("P%d", i), "项目", 2024, 1, 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, err = Read(bytes.NewReader(buf.Bytes()), "huge.xlsx", Limits{})
	impWantTooLarge(t, err, "超过 20000 行")
}

func TestLimitsDefaults(t *testing.T) {
	if got := (Limits{MaxRows: 7, MaxBytes: -1}).withDefaults(); got.MaxRows != 7 || got.MaxBytes != 20<<20 || got.MaxUnzipped != 200<<20 || got.MaxCells != 300000 {
		t.Errorf("withDefaults = %+v", got)
	}
	for n, want := range map[int64]string{20 << 20: "20 MiB", 1 << 30: "1 GiB", 512 << 10: "512 KiB", 1000: "1000 字节", 3 << 19: "1.5 MiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestWideRows refuses rows whose one value sits far to the right, as
// rows are handed over padded with blanks; and still reads a sheet with
// one such value, reporting where it is.
func TestWideRows(t *testing.T) {
	base := impBook(t, impSheet{"项目", impBaseProjects()}, impSheet{"绩效指标", impBaseIndicators()})
	far := func(rows int) []byte {
		var b strings.Builder
		for r := 3; r < 3+rows; r++ {
			fmt.Fprintf(&b, `<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>远处</t></is></c></row>`, r, r)
		}
		return impPatchZip(t, base, "xl/worksheets/sheet1.xml", func(x []byte) []byte {
			return bytes.Replace(x, []byte(`</sheetData>`), []byte(b.String()+`</sheetData>`), 1)
		})
	}
	start := time.Now()
	_, err := Read(bytes.NewReader(far(3000)), "wide.xlsx", Limits{MaxCells: 1000})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v", d)
	}
	impWantTooLarge(t, err, "表格范围过大")

	one := impPatchZip(t, base, "xl/worksheets/sheet1.xml", func(x []byte) []byte {
		return bytes.Replace(x, []byte(`</row></sheetData>`), []byte(`<c r="XFD2" t="inlineStr"><is><t>远处</t></is></c></row></sheetData>`), 1)
	})
	imp := impRead(t, one, "far.xlsx")
	want := Problem{"项目", 1, "XFD", "", "XFD 列有内容但没有列标题：请补上列标题或删除此列"}
	if len(imp.Problems) != 1 || imp.Problems[0] != want {
		t.Errorf("problems %s", impShow(imp.Problems))
	}
}

// A small upload whose shared-strings table unzips to more than the limit
// is refused before any of it is parsed.
func TestSharedStringsBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`))
	w, _ = zw.Create("xl/sharedStrings.xml")
	w.Write([]byte(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`))
	si := bytes.Repeat([]byte("<si><t>x</t></si>"), 1<<16)
	for written := 0; written <= 40<<20; written += len(si) {
		w.Write(si)
	}
	w.Write([]byte(`</sst>`))
	zw.Close()
	if buf.Len() > 1<<20 {
		t.Fatalf("the upload is %d bytes, not small", buf.Len())
	}
	start := time.Now()
	_, err := Read(bytes.NewReader(buf.Bytes()), "strings.xlsx", Limits{})
	impWantTooLarge(t, err, "共享字符串表解压后超过 32 MiB")
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d)
	}
}
