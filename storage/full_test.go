package storage

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"jixiao"
)

// A write that finds the disk full (here: the database's page limit) is an
// EFULL error that says so in Chinese, and leaves nothing half-written.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	var pages int
	if err := d.w.Raw("PRAGMA page_count").Scan(&pages).Error; err != nil {
		t.Fatal(err)
	}
	if err := d.w.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages+8)).Error; err != nil {
		t.Fatal(err)
	}
	var projects []jixiao.Project
	for i := range 2000 {
		projects = append(projects, jixiao.Project{ID: fmt.Sprintf("P-%d", i), Name: strings.Repeat("项目名称", 20), Year: 2024,
			BudgetAdjusted: jixiao.Points(100), Spent: jixiao.Points(90), Indicators: []jixiao.Indicator{}})
	}
	_, err := d.UpsertProjects(ctx, projects)
	if jixiao.ErrorCode(err) != jixiao.EFULL || !strings.Contains(jixiao.ErrorMessage(err), "磁盘已满") {
		t.Fatalf("err = %v, want %s saying the disk is full", err, jixiao.EFULL)
	}
	if _, n, err := d.FindProjects(ctx, jixiao.ProjectFilter{}); err != nil || n != 0 {
		t.Errorf("%d projects stored after the failed write (%v)", n, err)
	}
}
