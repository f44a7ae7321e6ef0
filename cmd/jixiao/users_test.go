package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"jixiao"
	"jixiao/passwords"
	"jixiao/storage"
)

// TestUsersCommand: the first admin is made from the command line with a
// temporary password, printed once and stored only as a hash; a reset
// gives another. Bad use is refused with exit status 2.
func TestUsersCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jixiao.db")
	out, errOut, code := jixiaoRun(t, "", "users", "create", "--name", "Bureau.Admin", "--role", "admin", "--display-name", "财政局管理员", "--db", db)
	if code != exitOK {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	temp := strings.TrimSpace(out)
	if len(temp) != 16 || !strings.Contains(errOut, "bureau.admin") {
		t.Fatalf("create printed %q, %q", out, errOut)
	}
	ctx := context.Background()
	check := func(password string) *jixiao.User {
		t.Helper()
		store, err := storage.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		u, err := store.FindUserByName(ctx, "bureau.admin")
		if err != nil {
			t.Fatal(err)
		}
		ok, err := passwords.New(passwords.Recommended, 1).Verify(ctx, u.PasswordHash, password)
		if !ok || err != nil || strings.Contains(u.PasswordHash, password) {
			t.Fatalf("stored hash %q does not verify %q: %v", u.PasswordHash, password, err)
		}
		return u
	}
	if u := check(temp); u.Role != jixiao.RoleAdmin || !u.MustChangePassword || u.DisplayName != "财政局管理员" {
		t.Errorf("created %+v", u)
	}

	out, errOut, code = jixiaoRun(t, "", "users", "reset-password", "--name", "bureau.admin", "--db", db)
	if code != exitOK {
		t.Fatalf("reset: exit %d: %s", code, errOut)
	}
	if again := strings.TrimSpace(out); again == temp {
		t.Error("the reset kept the password")
	} else {
		check(again)
	}

	for _, args := range [][]string{
		{"users", "create", "--name", "bureau.admin", "--role", "admin", "--db", db}, // exists
		{"users", "create", "--name", "x", "--role", "admin", "--db", db},            // too short
		{"users", "create", "--name", "new.one", "--role", "root", "--db", db},
		{"users", "reset-password", "--name", "nobody", "--db", db},
		{"users", "create", "--name", "dept.user", "--role", "scorer", "--department", "NOPE", "--db", db}, // no such department
		{"users", "delete", "--name", "bureau.admin", "--db", db},
	} {
		if _, errOut, code := jixiaoRun(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
}
