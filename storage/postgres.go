package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// IsPostgresURL reports whether a --db value names a PostgreSQL database
// rather than an SQLite file.
func IsPostgresURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open opens the database a --db value names: a postgres:// URL, or else
// an SQLite file.
func Open(ctx context.Context, db string) (*DB, error) {
	if IsPostgresURL(db) {
		return OpenPostgres(ctx, db)
	}
	return OpenSQLite(ctx, db)
}

// OpenPostgres opens the PostgreSQL database at url (postgres://…, with
// libpq's parameters, search_path among them) and brings its schema up to
// date. As on SQLite, writes go through one connection of this process
// and reads through a pool; other processes may write beside it.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	d := &DB{Now: time.Now, postgres: true}
	var err error
	if d.wsql, err = sql.Open("pgx", url); err != nil {
		return nil, fmt.Errorf("storage: open PostgreSQL: %w", err)
	}
	d.wsql.SetMaxOpenConns(1)
	d.wsql.SetMaxIdleConns(1)
	if err := d.wsql.PingContext(ctx); err != nil {
		d.wsql.Close()
		return nil, fmt.Errorf("storage: connect to PostgreSQL: %w", err)
	}
	if _, err := migrate(ctx, d.wsql, true); err != nil {
		d.wsql.Close()
		return nil, fmt.Errorf("storage: migrate PostgreSQL: %w", err)
	}
	if d.rsql, err = sql.Open("pgx", url); err != nil {
		d.wsql.Close()
		return nil, fmt.Errorf("storage: open PostgreSQL: %w", err)
	}
	n := readers()
	d.rsql.SetMaxOpenConns(n)
	d.rsql.SetMaxIdleConns(n)
	if d.w, err = openPostgresGorm(d.wsql); err == nil {
		d.r, err = openPostgresGorm(d.rsql)
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("storage: open PostgreSQL: %w", err)
	}
	return d, nil
}

func openPostgresGorm(db *sql.DB) (*gorm.DB, error) {
	return gorm.Open(postgres.New(postgres.Config{Conn: db}), gormConfig())
}

// rebind turns the ? placeholders of a query written for both databases
// into PostgreSQL's $1, $2, … for the statements sent without GORM.
// Quoted text is left alone.
func (d *DB) rebind(query string) string {
	if !d.postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + len(query)/4)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// postgresDiskFull is PostgreSQL's SQLSTATE for a full disk.
const postgresDiskFull = "53100"

func isPostgresDiskFull(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == postgresDiskFull
}

// DisplayName is a --db value fit for logs: a URL without its password.
func DisplayName(db string) string {
	if !IsPostgresURL(db) {
		return db
	}
	u, err := neturl.Parse(db)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}
