// Package storagetest gives tests a PostgreSQL database of their own on
// the server that JIXIAO_TEST_POSTGRES names, so that every test that
// touches the database can run on SQLite and on PostgreSQL.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvURL names the environment variable holding the test server's URL.
const EnvURL = "JIXIAO_TEST_POSTGRES"

// howTo says how to get a server for the tests.
const howTo = "set " + EnvURL + " to a PostgreSQL URL; with Debian's postgresql package installed, " +
	`eval "$(.ci/postgres start)" starts a throwaway one and sets it`

// PostgresURL returns the URL of a new, empty schema on the test server,
// dropped when the test ends. Without a server the test is skipped with a
// message saying how to run it; under CI=true it fails instead, since CI
// must run every case.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("no PostgreSQL for the tests under CI=true: %s", howTo)
		}
		tb.Skipf("PostgreSQL case skipped: %s", howTo)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvURL, err)
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])

	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("creating a schema on the test server (%s): %v", EnvURL, err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("dropping test schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
