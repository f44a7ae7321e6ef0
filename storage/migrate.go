package storage

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// migrate applies the pending migrations of the database's kind and
// returns how many it applied. goose records each in its version table,
// so a migration runs once per database. The provider is local: goose's
// package-level settings are never touched.
func migrate(ctx context.Context, db *sql.DB, postgres bool) (int, error) {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	if postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return 0, err
	}
	p, err := goose.NewProvider(dialect, db, fsys,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	return len(results), err
}
