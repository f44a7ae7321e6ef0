package storage

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pressly/goose/v3"
	"gorm.io/driver/sqlite"

	"jixiao"
	"jixiao/storage/storagetest"
)

// departmentOf returns the department code stored for a project.
func departmentOf(t *testing.T, d *DB, id string) string {
	t.Helper()
	var code sql.NullString
	if err := d.r.Raw("SELECT department_code FROM projects WHERE project_id = ?", id).Scan(&code).Error; err != nil {
		t.Fatal(err)
	}
	return code.String
}

func departmentsByName(t *testing.T, d *DB) map[string]jixiao.Department {
	t.Helper()
	deps, err := d.FindDepartments(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]jixiao.Department{}
	for _, dep := range deps {
		out[dep.Name] = dep
	}
	return out
}

func TestDepartments(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		if err := d.CreateDepartment(ctx, &jixiao.Department{Code: "101", Name: "住房公积金中心"}); err != nil {
			t.Fatal(err)
		}
		ps := append(testProjects(2024, 2, "住建局"), testProject(2024, "G-1", "住房公积金中心"), testProject(2024, "N-1", ""))
		if _, err := d.UpsertProjects(ctx, ps); err != nil {
			t.Fatal(err)
		}
		deps := departmentsByName(t, d)
		auto := deps["住建局"]
		if auto.Code != autoDepartmentCode("住建局") || auto.Projects != 2 || deps["住房公积金中心"].Projects != 1 || len(deps) != 2 {
			t.Fatalf("departments after the import: %+v", deps)
		}
		if got := departmentOf(t, d, "G-1"); got != "101" {
			t.Errorf("G-1 in %q, want 101", got)
		}
		if got := departmentOf(t, d, "N-1"); got != "" {
			t.Errorf("a project without a department is in %q", got)
		}

		// The bureau merges the made-up department into its own.
		moved, err := d.MergeDepartment(ctx, auto.Code, "101")
		if err != nil || moved != 2 {
			t.Fatalf("merge: moved %d, %v", moved, err)
		}
		deps = departmentsByName(t, d)
		if deps["住建局"].MergedInto != "101" || deps["住房公积金中心"].Projects != 3 || deps["住建局"].Projects != 0 {
			t.Errorf("after the merge: %+v", deps)
		}
		if got, err := d.FindDepartment(ctx, "101"); err != nil || got.Projects != 3 || got.Name != "住房公积金中心" {
			t.Errorf("FindDepartment(101) = %+v, %v", got, err)
		}
		_, err = d.FindDepartment(ctx, "999")
		wantCode(t, err, jixiao.ENOTFOUND)
		// The merged name still leads to the department it went into.
		if _, err := d.UpsertProjects(ctx, []jixiao.Project{testProject(2024, "P-NEW", "住建局")}); err != nil {
			t.Fatal(err)
		}
		if got := departmentOf(t, d, "P-NEW"); got != "101" {
			t.Errorf("a new project of a merged name is in %q, want 101", got)
		}

		// A subordinate unit, and what is refused.
		if err := d.CreateDepartment(ctx, &jixiao.Department{Code: "101-01", Name: "公积金中心一分部", ParentCode: "101"}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			err  error
			code string
		}{
			{"code in use", d.CreateDepartment(ctx, &jixiao.Department{Code: "101", Name: "别的"}), jixiao.ECONFLICT},
			{"name in use", d.CreateDepartment(ctx, &jixiao.Department{Code: "102", Name: "住房公积金中心"}), jixiao.ECONFLICT},
			{"bad code", d.CreateDepartment(ctx, &jixiao.Department{Code: "一零三", Name: "某局"}), jixiao.EINVALID},
			{"no such parent", d.CreateDepartment(ctx, &jixiao.Department{Code: "104", Name: "某局", ParentCode: "999"}), jixiao.ENOTFOUND},
			{"merged parent", d.CreateDepartment(ctx, &jixiao.Department{Code: "105", Name: "某局", ParentCode: auto.Code}), jixiao.EINVALID},
			{"a cycle", d.UpdateDepartment(ctx, &jixiao.Department{Code: "101", Name: "住房公积金中心", ParentCode: "101-01"}), jixiao.EINVALID},
			{"rename to a name in use", d.UpdateDepartment(ctx, &jixiao.Department{Code: "101-01", Name: "住房公积金中心", ParentCode: "101"}), jixiao.ECONFLICT},
			{"update unknown", d.UpdateDepartment(ctx, &jixiao.Department{Code: "999", Name: "无"}), jixiao.ENOTFOUND},
			{"merge into itself", mergeErr(d.MergeDepartment(ctx, "101", "101")), jixiao.EINVALID},
			{"merge into a subordinate", mergeErr(d.MergeDepartment(ctx, "101", "101-01")), jixiao.EINVALID},
			{"merge again", mergeErr(d.MergeDepartment(ctx, auto.Code, "101-01")), jixiao.ECONFLICT},
			{"merge unknown", mergeErr(d.MergeDepartment(ctx, "999", "101")), jixiao.ENOTFOUND},
		} {
			t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.err, tt.code) })
		}
		// Renamed, a department is what the new name leads to.
		if err := d.UpdateDepartment(ctx, &jixiao.Department{Code: "101-01", Name: "一分部", ParentCode: "101"}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.UpsertProjects(ctx, []jixiao.Project{testProject(2024, "B-1", "一分部")}); err != nil {
			t.Fatal(err)
		}
		if got := departmentOf(t, d, "B-1"); got != "101-01" {
			t.Errorf("B-1 in %q, want 101-01", got)
		}
	})
}

func mergeErr(_ int, err error) error { return err }

// TestDepartmentsMigration: projects stored before departments existed
// get one department per distinct name when the schema is brought up to
// date, on both databases.
func TestDepartmentsMigration(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		open     func(t *testing.T) (*sql.DB, string, goose.Dialect, string)
		postgres bool
	}{
		{"sqlite", func(t *testing.T) (*sql.DB, string, goose.Dialect, string) {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := sql.Open(sqlite.DriverName, path)
			if err != nil {
				t.Fatal(err)
			}
			return db, path, goose.DialectSQLite3, "migrations/sqlite"
		}, false},
		{"postgres", func(t *testing.T) (*sql.DB, string, goose.Dialect, string) {
			url := storagetest.PostgresURL(t)
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			return db, url, goose.DialectPostgres, "migrations/postgres"
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, where, dialect, dir := tt.open(t)
			fsys, err := fs.Sub(migrations, dir)
			if err != nil {
				t.Fatal(err)
			}
			p, err := goose.NewProvider(dialect, db, fsys, goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 6); err != nil {
				t.Fatal(err)
			}
			ph := func(n int) string {
				if tt.postgres {
					return "$" + string(rune('0'+n))
				}
				return "?"
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO project_inputs (hash, body, created_at) VALUES ('h', '{}', CURRENT_TIMESTAMP)"); err != nil {
				t.Fatal(err)
			}
			for i, dept := range []string{"住建局", "财政局", "住建局", ""} {
				_, err := db.ExecContext(ctx, "INSERT INTO projects (year, project_id, department, name, input_hash, created_at, updated_at) VALUES (2024, "+
					ph(1)+", "+ph(2)+", 'x', 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", "P"+string(rune('0'+i)), dept)
				if err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			d, err := Open(ctx, where)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			deps := departmentsByName(t, d)
			if len(deps) != 2 || deps["住建局"].Projects != 2 || deps["财政局"].Projects != 1 {
				t.Fatalf("departments after the migration: %+v", deps)
			}
			if got := departmentOf(t, d, "P0"); got != deps["住建局"].Code || got == "" {
				t.Errorf("P0 in %q", got)
			}
			if got := departmentOf(t, d, "P3"); got != "" {
				t.Errorf("P3 (no department) in %q", got)
			}
		})
	}
}

// TestDepartmentScope: an account's scope is its department and the
// subordinate units below it at any depth, without merged ones; a merged
// or unknown department's scope is empty.
func TestDepartmentScope(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		for _, dep := range []jixiao.Department{
			{Code: "A", Name: "甲局"}, {Code: "A1", Name: "甲局一处", ParentCode: "A"}, {Code: "A11", Name: "甲局一处一科", ParentCode: "A1"},
			{Code: "A2", Name: "甲局二处", ParentCode: "A"}, {Code: "B", Name: "乙局"},
		} {
			if err := d.CreateDepartment(ctx, &dep); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.MergeDepartment(ctx, "A2", "B"); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			code string
			want []string
		}{
			{"A", []string{"A", "A1", "A11"}},
			{"A1", []string{"A1", "A11"}},
			{"A11", []string{"A11"}},
			{"A2", nil}, // merged
			{"NOPE", nil},
		} {
			s, err := d.DepartmentScope(ctx, tt.code)
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Clone(s.Departments)
			slices.Sort(got)
			if s.Department != tt.code || !slices.Equal(got, tt.want) {
				t.Errorf("scope of %s: %+v, want %v", tt.code, s, tt.want)
			}
		}
	})
}
