package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"

	"gorm.io/driver/sqlite"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
	"jixiao/storage"
)

// RuleSetID is the rule set every measurement scores with.
const RuleSetID = "cn-mof-2020-self"

// LoadRules compiles the built-in rule set RuleSetID.
func LoadRules() (*engine.RuleSet, error) {
	src, ok := rules.BuiltinByID(RuleSetID)
	if !ok {
		return nil, fmt.Errorf("no built-in rule set %s", RuleSetID)
	}
	return engine.Load(src.Path, src.Data)
}

// seedBatch is how many projects one UpsertProjects call stores.
const seedBatch = 2000

// Seed creates the database at path and stores count generated projects
// from seed in it, through the store, as an import would, and marks them
// approved, as their review would leave them. It closes the database,
// which checkpoints the WAL: the file is then complete by itself and can
// be copied.
//
// On PostgreSQL (path a postgres:// URL) it stores them in the database,
// or the schema its search_path names, which must have no projects yet.
func Seed(ctx context.Context, path string, count int, seed uint64) error {
	db, err := storage.Open(ctx, path)
	if err != nil {
		return err
	}
	g := NewGen(seed)
	batch := make([]jixiao.Project, 0, seedBatch)
	for n := 1; n <= count; n++ {
		batch = append(batch, g.Project(n))
		if len(batch) == seedBatch || n == count {
			if _, err := db.UpsertProjects(ctx, batch); err != nil {
				db.Close()
				return fmt.Errorf("seeding %s: %w", storage.DisplayName(path), err)
			}
			batch = batch[:0]
		}
	}
	if err := db.Close(); err != nil {
		return err
	}
	return approveAll(ctx, path)
}

// approveAll marks every project approved: an official evaluation scores
// approved projects. Submitting and approving each through the store, two
// transactions a project, would take longer than the measurements.
func approveAll(ctx context.Context, path string) error {
	driver, dsn := sqlite.DriverName, WriterDSN(path)
	if storage.IsPostgresURL(path) {
		driver, dsn = "pgx", path
	}
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "UPDATE projects SET status = 'approved'")
	if err != nil {
		return err
	}
	return conn.Close()
}

// CopyFile copies a closed database file (no -wal or -shm beside it) to
// dst, replacing dst and removing any -wal and -shm file of dst.
func CopyFile(src, dst string) error {
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(src + suffix); err == nil {
			return fmt.Errorf("%s%s exists: close the database before copying it", src, suffix)
		}
		if err := os.Remove(dst + suffix); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// RemoveDB removes a database file with its -wal and -shm files.
func RemoveDB(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}
