// Package storage implements jixiao.Store over GORM, on SQLite (one
// process, the embedded default) or PostgreSQL. It is the only package
// that knows about SQL, GORM, goose or a database driver.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"jixiao"
)

var _ jixiao.Store = (*DB)(nil)

// DB is the store. On SQLite, writes go through one connection, so that
// SQLite never has two writers of ours waiting on each other, and reads
// through a small pool of read-only connections, which WAL lets run
// beside the writer. On PostgreSQL the writers are a small pool too.
type DB struct {
	w, r       *gorm.DB
	wsql, rsql *sql.DB
	stmts      writerStmts
	postgres   bool        // else SQLite
	url        string      // PostgreSQL's, for the listening connection
	listening  atomic.Bool // the rule-set listener is connected

	// Now gives the time for rows whose caller did not set one.
	Now func() time.Time
}

// readers is the size of the read pool.
func readers() int { return max(4, runtime.GOMAXPROCS(0)) }

// sqliteDSN builds a connection string. Every per-connection setting is in
// it, because the driver applies the DSN to each new connection, while a
// PRAGMA sent with Exec reaches only the one connection that ran it.
func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "NORMAL")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		// BEGIN IMMEDIATE takes the write lock at the start of a
		// transaction, so a transaction that reads then writes waits
		// for the lock (busy_timeout) instead of failing at its first
		// write when another process writes.
		q.Set("_txlock", "immediate")
	}
	return fileURI(path, q)
}

// fileURI is path as an SQLite URI filename, so that no character of the
// path is taken for part of the query.
func fileURI(path string, q url.Values) string {
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}
	return u.String()
}

// OpenSQLite opens (creating it if needed) the SQLite database at path and
// brings its schema up to date.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("storage: empty database path")
	}
	if err := createSQLite(ctx, path); err != nil {
		return nil, fmt.Errorf("storage: create %s: %w", path, err)
	}
	d := &DB{Now: time.Now}
	err := d.open(ctx, pools{
		name: path, driver: sqlite.DriverName,
		writerDSN: sqliteDSN(path, false), readerDSN: sqliteDSN(path, true),
		writers: 1, dialector: func(db *sql.DB) gorm.Dialector { return sqlite.New(sqlite.Config{Conn: db}) },
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// pools is how one kind of database is opened.
type pools struct {
	name                 string // for messages
	driver               string
	writerDSN, readerDSN string
	writers              int
	dialector            func(*sql.DB) gorm.Dialector
}

// open opens the writer pool, brings the schema up to date, then opens
// the reader pool: the schema is complete before the first reader opens.
// On error everything opened is closed again.
func (d *DB) open(ctx context.Context, p pools) (err error) {
	fail := func(what string, err error) error {
		d.Close()
		return fmt.Errorf("storage: %s %s: %w", what, p.name, err)
	}
	if d.wsql, err = sql.Open(p.driver, p.writerDSN); err != nil {
		return fail("open", err)
	}
	d.wsql.SetMaxOpenConns(p.writers)
	d.wsql.SetMaxIdleConns(p.writers)
	if _, err := migrate(ctx, d.wsql, d.postgres); err != nil {
		return fail("migrate", err)
	}
	if d.rsql, err = sql.Open(p.driver, p.readerDSN); err != nil {
		return fail("open", err)
	}
	n := readers()
	d.rsql.SetMaxOpenConns(n)
	d.rsql.SetMaxIdleConns(n)
	if d.w, err = gorm.Open(p.dialector(d.wsql), gormConfig()); err == nil {
		d.r, err = gorm.Open(p.dialector(d.rsql), gormConfig())
	}
	if err != nil {
		return fail("open", err)
	}
	return nil
}

// pageSize is the page size of a new database. A score row with its
// result is a little over 2 KB: a 16 KiB page holds seven, where the
// default 4 KiB page holds one and wastes nearly half of itself. In
// BenchmarkSaveChunk this made SaveChunk about 1.5 times as fast.
const pageSize = 16384

// createSQLite gives a database file that does not exist yet (or is empty)
// its page size and WAL mode. Unlike the settings in the DSN, these belong
// to the file, not to a connection: the page size is fixed by the first
// write, and WAL mode (which the DSN would set first, with the default page
// size) stays on in the file. So they are set once, here, on a connection
// of their own, before any pool opens the file.
func createSQLite(ctx context.Context, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return nil
	}
	db, err := sql.Open(sqlite.DriverName, fileURI(path, nil))
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
		return err
	}
	var mode string
	return conn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
}

func gormConfig() *gorm.Config {
	return &gorm.Config{
		// Every multi-statement write opens its own transaction; single
		// statements need none.
		SkipDefaultTransaction: true,
		// Errors are returned to the caller, who logs them once.
		Logger: logger.Discard,
		// Unique violations as gorm.ErrDuplicatedKey, on every dialect.
		TranslateError: true,
	}
}

// Close closes the read pool, then the writer: the last connection to
// close checkpoints the WAL into the database file.
func (d *DB) Close() error {
	var errs []error
	if d.rsql != nil {
		errs = append(errs, d.rsql.Close())
	}
	errs = append(errs, d.closeStmts())
	if d.wsql != nil {
		errs = append(errs, d.wsql.Close())
	}
	return errors.Join(errs...)
}

// Unavailable reports whether err means the database cannot be reached
// for now, whichever method of the store returned it.
func (d *DB) Unavailable(err error) bool {
	return jixiao.ErrorCode(err) == jixiao.EUNAVAILABLE || isUnreachable(err)
}

// Ping checks both pools.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.wsql.PingContext(ctx); err != nil {
		return err
	}
	return d.rsql.PingContext(ctx)
}

// write runs fn in one transaction on a writer connection. Inside fn,
// use only tx: on SQLite the writer has a single connection, which tx
// holds.
func (d *DB) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return unavailable(storageFull(d.w.WithContext(ctx).Transaction(fn)))
}

// storageFull turns the database's "disk full" into an error that says
// so, for the finance staff who see it and the operator who can act.
func storageFull(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrFull || isPostgresDiskFull(err) || errors.Is(err, syscall.ENOSPC) {
		return jixiao.Errorf(jixiao.EFULL, "磁盘已满，数据无法写入，本次没有保存任何内容：请管理员释放磁盘空间后重试（%v）", err)
	}
	return err
}

// read runs fn in one read transaction, so that a page and its total count
// come from the same snapshot.
func (d *DB) read(ctx context.Context, fn func(tx *gorm.DB) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if d.postgres {
		// PostgreSQL's default gives each statement its own snapshot.
		opts.Isolation = sql.LevelRepeatableRead
	}
	return unavailable(d.r.WithContext(ctx).Transaction(fn, opts))
}

// now is the current time as stored.
func (d *DB) now() time.Time { return dbTime(d.Now()) }

// dbTime is t as stored: UTC, to the microsecond, which is what
// PostgreSQL keeps, so that both databases return the same value.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := dbTime(*t)
	return &v
}

// orNow is t as stored, or the current time when t is zero.
func (d *DB) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return d.now()
	}
	return dbTime(t)
}

// page applies an offset and a limit; a limit of 0 or less means none.
func page(q *gorm.DB, offset, limit int) *gorm.DB {
	if offset > 0 {
		q = q.Offset(offset)
	}
	if limit > 0 {
		q = q.Limit(limit)
	}
	return q
}

// notFound turns gorm's missing row into the application's error.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return jixiao.Errorf(jixiao.ENOTFOUND, format, args...)
	}
	return err
}

// writerStmts are statements prepared once on the writer connection, by
// their SQL, for the statements a batch repeats (see SaveChunk).
type writerStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// prepareWriter prepares the queries on the writer connection, once. It
// must be called outside a write transaction: preparing needs the
// writer's only connection (on SQLite; database/sql prepares again on
// PostgreSQL's other writer connections as they are used). The lock is not held while preparing, so that
// a transaction looking up a statement never waits for a preparation
// that waits for the transaction's connection.
func (d *DB) prepareWriter(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		d.stmts.mu.Lock()
		ready := d.stmts.m[q] != nil
		d.stmts.mu.Unlock()
		if ready {
			continue
		}
		st, err := d.wsql.PrepareContext(ctx, d.rebind(q))
		if err != nil {
			return err
		}
		d.stmts.mu.Lock()
		if d.stmts.m == nil {
			d.stmts.m = map[string]*sql.Stmt{}
		}
		if d.stmts.m[q] == nil {
			d.stmts.m[q], st = st, nil
		}
		d.stmts.mu.Unlock()
		if st != nil { // prepared meanwhile by another caller
			st.Close()
		}
	}
	return nil
}

// closeStmts closes the prepared statements.
func (d *DB) closeStmts() error {
	d.stmts.mu.Lock()
	defer d.stmts.mu.Unlock()
	var errs []error
	for q, st := range d.stmts.m {
		errs = append(errs, st.Close())
		delete(d.stmts.m, q)
	}
	return errors.Join(errs...)
}

// writerTx runs statements in a write transaction, through the
// writer's prepared statement for the same SQL when there is one.
type writerTx struct {
	conn gorm.ConnPool
	tx   *sql.Tx // nil when the transaction is not database/sql's
	d    *DB
}

func (d *DB) writerTx(tx *gorm.DB) writerTx {
	sqlTx, _ := tx.Statement.ConnPool.(*sql.Tx)
	return writerTx{conn: tx.Statement.ConnPool, tx: sqlTx, d: d}
}

// stmt returns the transaction's use of the statement prepared for
// query, or nil. The transaction closes it when it ends.
func (w writerTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if w.tx == nil {
		return nil
	}
	w.d.stmts.mu.Lock()
	st := w.d.stmts.m[query]
	w.d.stmts.mu.Unlock()
	if st == nil {
		return nil
	}
	return w.tx.StmtContext(ctx, st)
}

func (w writerTx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := w.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return w.conn.QueryContext(ctx, w.d.rebind(query), args...)
}

func (w writerTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := w.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return w.conn.ExecContext(ctx, w.d.rebind(query), args...)
}
