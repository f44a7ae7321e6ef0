package spreadsheet

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"jixiao"
)

// Limits bound what an upload may cost. A field that is zero or negative
// takes its value from DefaultLimits.
type Limits struct {
	MaxBytes    int64 // size of the uploaded file
	MaxUnzipped int64 // total uncompressed size of the parts of an .xlsx
	MaxRows     int   // non-empty rows in one sheet
	MaxCells    int   // non-empty cells in all the sheets read
	// MaxSharedStrings bounds the unzipped shared-strings part of an
	// .xlsx, which the reader holds whole: a small upload can carry a
	// table of millions of strings that no sheet uses.
	MaxSharedStrings int64
}

// maxZipEntries bounds the number of parts in an .xlsx. A workbook of
// a few sheets has a few dozen; the bound keeps a crafted archive of
// millions of empty entries from costing time and memory.
const maxZipEntries = 10000

// DefaultLimits returns the limits for an upload from a finance office:
// far above any real workbook of projects, far below what would hurt
// the server.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:    20 << 20,
		MaxUnzipped: 200 << 20,
		MaxRows:     20000,
		MaxCells:    300000,

		MaxSharedStrings: 32 << 20,
	}
}

// withDefaults fills the unset fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxUnzipped <= 0 {
		l.MaxUnzipped = d.MaxUnzipped
	}
	if l.MaxRows <= 0 {
		l.MaxRows = d.MaxRows
	}
	if l.MaxCells <= 0 {
		l.MaxCells = d.MaxCells
	}
	if l.MaxSharedStrings <= 0 {
		l.MaxSharedStrings = d.MaxSharedStrings
	}
	return l
}

// readLimited reads all of r, refusing more than max bytes.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, jixiao.Errorf(jixiao.ETOOLARGE, "文件超过 %s 的大小上限", formatBytes(max))
	}
	return data, nil
}

// checkZip refuses an archive that would cost too much to open, before
// any library inflates it. It reads the central directory first (entry
// count and declared sizes), then inflates every entry into nothing
// through a reader bounded by what is left of MaxUnzipped: archive/zip
// stops at each entry's declared size and checks its CRC, so a lying
// directory or a corrupt part is caught here and not half-read later.
func checkZip(data []byte, lim Limits) error {
	if n, ok := zipEntryCount(data); ok && n > maxZipEntries {
		return tooManyEntries(n)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return jixiao.Errorf(jixiao.EMALFORMED, "不是有效的 .xlsx 文件：压缩包无法读取（%v）", err)
	}
	if len(zr.File) > maxZipEntries {
		return tooManyEntries(len(zr.File))
	}
	max := uint64(lim.MaxUnzipped)
	var total uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > max || total+f.UncompressedSize64 > max {
			return tooLargeUnzipped(lim)
		}
		total += f.UncompressedSize64
		if isSharedStrings(f.Name) && f.UncompressedSize64 > uint64(lim.MaxSharedStrings) {
			return tooManyStrings(lim)
		}
	}
	left := lim.MaxUnzipped
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return jixiao.Errorf(jixiao.EMALFORMED, "不是有效的 .xlsx 文件：压缩包中的 %q 无法读取（%v）", f.Name, err)
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, left+1))
		rc.Close()
		if n > left {
			return tooLargeUnzipped(lim)
		}
		if isSharedStrings(f.Name) && n > lim.MaxSharedStrings {
			return tooManyStrings(lim)
		}
		if err != nil {
			return jixiao.Errorf(jixiao.EMALFORMED, "不是有效的 .xlsx 文件：压缩包中的 %q 已损坏（%v）", f.Name, err)
		}
		left -= n
	}
	return nil
}

// zipEntryCount reads the entry count from the end-of-central-directory
// record, so that a directory of millions of entries is refused before
// archive/zip allocates one record for each. ok is false when the record
// is not found or the archive is a zip64 one (archive/zip then decides).
func zipEntryCount(data []byte) (n int, ok bool) {
	const eocdLen = 22
	start := max(0, len(data)-eocdLen-0xffff)
	i := bytes.LastIndex(data[start:], []byte("PK\x05\x06"))
	if i < 0 || start+i+eocdLen > len(data) {
		return 0, false
	}
	rec := data[start+i:]
	count := binary.LittleEndian.Uint16(rec[10:12])
	if count == 0xffff {
		return 0, false
	}
	return int(count), true
}

func tooManyEntries(n int) error {
	return jixiao.Errorf(jixiao.ETOOLARGE, "不是正常的 .xlsx 文件：压缩包内有 %d 个部件，超过 %d 个的上限", n, maxZipEntries)
}

func tooLargeUnzipped(lim Limits) error {
	return jixiao.Errorf(jixiao.ETOOLARGE, "文件解压后超过 %s 的上限（可能是压缩炸弹），已拒绝", formatBytes(lim.MaxUnzipped))
}

// budget counts what a read has cost against the limits.
type budget struct {
	lim   Limits
	cells int
	width int
}

// gridFactor bounds the cells, blank ones included, that rows are
// handed over with: a row's values come padded with blanks up to its
// last one, so a row with one value in column XFD comes as 16,384
// cells. Real sheets stay far below this many per non-empty cell.
const gridFactor = 10

// grid counts the cells of a row as handed over, blanks included.
func (b *budget) grid(sheet string, n int) error {
	b.width += n
	if b.width > gridFactor*b.lim.MaxCells {
		return jixiao.Errorf(jixiao.ETOOLARGE, "工作表“%s”的表格范围过大（超过 %d 个单元格）：请删除右侧和下方多余的行与列", sheet, gridFactor*b.lim.MaxCells)
	}
	return nil
}

// row counts one more non-empty row of sheet, rows in all, and cells
// more non-empty cells.
func (b *budget) row(sheet string, rows, cells int) error {
	if rows > b.lim.MaxRows {
		return jixiao.Errorf(jixiao.ETOOLARGE, "工作表“%s”超过 %d 行的上限", sheet, b.lim.MaxRows)
	}
	b.cells += cells
	if b.cells > b.lim.MaxCells {
		return jixiao.Errorf(jixiao.ETOOLARGE, "文件中有内容的单元格超过 %d 个的上限", b.lim.MaxCells)
	}
	return nil
}

// formatBytes writes a size as people read it: "20 MiB", "512 KiB".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}

// isSharedStrings reports the part that holds an .xlsx's shared strings.
func isSharedStrings(name string) bool {
	return strings.EqualFold(strings.TrimPrefix(name, "/"), "xl/sharedStrings.xml")
}

func tooManyStrings(lim Limits) error {
	return jixiao.Errorf(jixiao.ETOOLARGE, "工作簿的共享字符串表解压后超过 %s 的上限：表中的文字过多，请删除不需要的工作表和内容后另存再上传", formatBytes(lim.MaxSharedStrings))
}
