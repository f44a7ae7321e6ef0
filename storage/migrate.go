package storage

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/sqlite/*.sql
var migrations embed.FS

// migrate applies the pending SQLite migrations and returns how many it
// applied. goose records each in its version table, so a migration runs
// once per database. The provider is local: goose's package-level
// settings are never touched.
func migrate(ctx context.Context, db *sql.DB) (int, error) {
	fsys, err := fs.Sub(migrations, "migrations/sqlite")
	if err != nil {
		return 0, err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	return len(results), err
}
