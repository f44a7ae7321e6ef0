package spreadsheet

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"jixiao"
)

// MaxUploadMemory is the bound the README states for the peak memory of
// reading and marking the largest upload the default limits accept.
const MaxUploadMemory = 320 << 20

// TestUploadMemoryBound reads and marks a workbook at the default limits
// (about 300,000 cells, every column of the template in use) in a child
// process, and checks the child's peak resident set.
func TestUploadMemoryBound(t *testing.T) {
	if path := os.Getenv("JIXIAO_UPLOAD_PROBE"); path != "" {
		uploadProbe(t, path)
		return
	}
	const n = 11000 // projects, one indicator each: 27 cells apiece
	projects := make([]jixiao.Project, n)
	for i := range projects {
		tv, av := 1000.0+float64(i), 950.0+float64(i)
		b, f := jixiao.Points(int64(100000+i)), jixiao.Points(int64(90000+i))
		rate := jixiao.Cents(9000)
		projects[i] = jixiao.Project{ID: fmt.Sprintf("HH2024-%05d", i), Name: "住房公积金业务系统运维项目" + strconv.Itoa(i),
			Department: "怀化市住房公积金管理中心", ImplementingUnit: "信息科", Year: 2024,
			BudgetInitial: &b, BudgetAdjusted: b, FundsArrived: &b, Spent: f, ExecutionRate: &rate, Compliance: jixiao.Achieved,
			AppropriationBudget: &b, AppropriationSpent: &f, GoalExpected: "保障系统稳定运行", GoalAchieved: "全年稳定运行",
			ExecutionReason: "部分合同次年支付",
			Indicators: []jixiao.Indicator{{Level1: "产出指标", Level2: "数量指标", Name: "完成运维次数", Direction: jixiao.AtLeast,
				Target: &tv, Actual: &av, Unit: "次", DeviationReason: "部分延期", Description: "基本完成"}}}
	}
	var buf bytes.Buffer
	if err := WriteProjects(&buf, projects); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "largest.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUploadMemoryBound$", "-test.v")
	cmd.Env = append(os.Environ(), "JIXIAO_UPLOAD_PROBE="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`cells (\d+), peak (\d+) kB`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("probe said:\n%s", out)
	}
	if r := regexp.MustCompile(`read alone (\d+) kB`).FindSubmatch(out); r != nil {
		t.Logf("reading alone: peak resident set %s kB", r[1])
	}
	cells, _ := strconv.Atoi(string(m[1]))
	peak, _ := strconv.Atoi(string(m[2]))
	t.Logf("%d bytes, %d cells: peak resident set %.0f MiB reading and marking (bound %d MiB)", buf.Len(), cells, float64(peak)/1024, MaxUploadMemory>>20)
	if cells < DefaultLimits().MaxCells*9/10 {
		t.Errorf("only %d cells: not near the limit of %d", cells, DefaultLimits().MaxCells)
	}
	// The race detector's shadow memory is several times the program's:
	// a build with it measures, but the bound is for the service's build.
	if peak<<10 > MaxUploadMemory && !raceEnabled {
		t.Errorf("peak resident set %d kB, over the bound of %d MiB", peak, MaxUploadMemory>>20)
	}
}

// uploadProbe reads and marks the workbook at path, then prints its cell
// count and the process's peak resident set (VmHWM).
func uploadProbe(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := Read(bytes.NewReader(data), filepath.Base(path), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Problems) > 0 {
		t.Fatalf("problems: %v", imp.Problems[0])
	}
	readPeak := peakKB(t)
	if os.Getenv("JIXIAO_UPLOAD_PROBE_MARK") != "no" {
		if err := MarkWorkbook(&bytes.Buffer{}, data, filepath.Base(path), imp.Problems, imp.MoreProblems); err != nil {
			t.Fatal(err)
		}
	}
	cells := 0 // counted as the reader streams them, after the peak is read
	f, err := openWorkbook(data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	peak := peakKB(t)
	for _, sh := range f.GetSheetList() {
		rows, _ := f.Rows(sh)
		for rows.Next() {
			cols, _ := rows.Columns()
			for _, c := range cols {
				if strings.TrimSpace(c) != "" {
					cells++
				}
			}
		}
		rows.Close()
	}
	fmt.Printf("read alone %s kB\n", readPeak)
	fmt.Printf("cells %d, peak %s kB\n", cells, peak)
}

func peakKB(t *testing.T) string {
	status, _ := os.ReadFile("/proc/self/status")
	hwm := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	if hwm == nil {
		t.Fatal("no VmHWM")
	}
	return string(hwm[1])
}
