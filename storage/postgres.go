package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/jackc/pgxlisten" // registers the "pgx" database/sql driver
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"jixiao"
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

// postgresWriters is the size of the writer pool on PostgreSQL.
const postgresWriters = 4

// OpenPostgres opens the PostgreSQL database at url (postgres://…, with
// libpq's parameters, search_path among them) and brings its schema up to
// date. Writes go through a small pool of their own, reads through
// another; other processes may write beside them.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	d := &DB{Now: time.Now, postgres: true, url: url}
	// Unlike SQLite, PostgreSQL takes writers side by side (other
	// instances write beside this one anyway): a run's two savers each
	// commit on a connection of their own.
	err := d.open(ctx, pools{
		name: "PostgreSQL", driver: "pgx", writerDSN: url, readerDSN: url,
		writers: postgresWriters, dialector: func(db *sql.DB) gorm.Dialector { return postgres.New(postgres.Config{Conn: db}) },
	})
	if err != nil {
		return nil, err
	}
	return d, nil
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

// ListenRuleSets calls onChange whenever another instance of the
// PostgreSQL database activates a rule-set version, and after every
// (re)connection of its listening connection, since notifications sent
// while it was disconnected are lost: onChange then re-reads every active
// version. It listens on a connection of its own, reconnecting every
// second while the database is away, until ctx ends. On SQLite, the only
// process, it just waits for ctx.
func (d *DB) ListenRuleSets(ctx context.Context, onChange func(context.Context), logError func(error)) error {
	if !d.postgres {
		<-ctx.Done()
		return nil
	}
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, d.url) },
		LogError: func(ctx context.Context, err error) {
			d.listening.Store(false)
			if ctx.Err() == nil && logError != nil {
				logError(err)
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(RuleSetsChannel, ruleSetHandler{d: d, onChange: onChange})
	err := l.Listen(ctx)
	d.listening.Store(false)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Listening reports whether the rule-set listener is connected (always
// true on SQLite, which has no other instances to hear from).
func (d *DB) Listening() bool { return !d.postgres || d.listening.Load() }

type ruleSetHandler struct {
	d        *DB
	onChange func(context.Context)
}

func (h ruleSetHandler) HandleNotification(ctx context.Context, _ *pgconn.Notification, _ *pgx.Conn) error {
	h.onChange(ctx)
	return nil
}

// HandleBacklog runs once the connection listens, before any
// notification: what changed while it was away is read again.
func (h ruleSetHandler) HandleBacklog(ctx context.Context, _ string, _ *pgx.Conn) error {
	h.d.listening.Store(true)
	h.onChange(ctx)
	return nil
}

// unavailable turns an error that means the database cannot be reached
// (a refused or broken connection, a server shutting down or starting)
// into code unavailable, which the API answers with 503 and a shared run
// waits out rather than failing. Other errors are returned as they are.
func unavailable(err error) error {
	if err == nil || !isUnreachable(err) {
		return err
	}
	var e *jixiao.Error
	if errors.As(err, &e) {
		return err
	}
	return jixiao.Errorf(jixiao.EUNAVAILABLE, "数据库暂时无法连接，请稍后再试（%v）", err)
}

func isUnreachable(err error) bool {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.Is(err, driver.ErrBadConn), errors.As(err, &ne):
		return true
	case errors.As(err, &pe):
		// Class 08: connection exceptions; 57P01–57P03: the server is
		// shutting down or starting.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection reset")
}
