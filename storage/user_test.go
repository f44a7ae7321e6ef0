package storage

import (
	"context"
	"testing"
	"time"

	"jixiao"
)

func TestUsersAndSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		u := &jixiao.User{Name: "zhang.san", DisplayName: "张三", Role: jixiao.RoleScorer, PasswordHash: "$argon2id$x", MustChangePassword: true}
		if err := d.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		wantCode(t, d.CreateUser(ctx, &jixiao.User{Name: "zhang.san", Role: jixiao.RoleViewer, PasswordHash: "h"}), jixiao.ECONFLICT)
		for _, bad := range []jixiao.User{
			{Name: "Zhang", Role: jixiao.RoleViewer, PasswordHash: "h"}, // not normalized
			{Name: "a b", Role: jixiao.RoleViewer, PasswordHash: "h"},
			{Name: "li", Role: "root", PasswordHash: "h"},
			{Name: "li", Role: jixiao.RoleViewer},
		} {
			wantCode(t, d.CreateUser(ctx, &bad), jixiao.EINVALID)
		}
		got, err := d.FindUserByName(ctx, "  Zhang.San ")
		if err != nil || got.ID != u.ID || got.DisplayName != "张三" || !got.MustChangePassword {
			t.Fatalf("FindUserByName: %+v, %v", got, err)
		}
		if n, err := d.CountUsers(ctx); n != 1 || err != nil {
			t.Errorf("CountUsers = %d, %v", n, err)
		}

		now := time.Now()
		for _, tok := range []string{"s1", "s2"} {
			s := &jixiao.Session{TokenHash: tok, UserID: u.ID, CSRFToken: "c-" + tok, ExpiresAt: now.Add(time.Hour)}
			if err := d.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		s, su, err := d.FindSession(ctx, "s1")
		if err != nil || su.ID != u.ID || s.CSRFToken != "c-s1" {
			t.Fatalf("FindSession: %+v %+v %v", s, su, err)
		}
		later := now.Add(10 * time.Minute)
		if err := d.TouchSession(ctx, "s1", later); err != nil {
			t.Fatal(err)
		}
		if s, _, _ := d.FindSession(ctx, "s1"); !s.SeenAt.Equal(dbTime(later)) {
			t.Errorf("seen at %v, want %v", s.SeenAt, later)
		}
		// An admin resets the password: every session ends.
		u.PasswordHash = "$argon2id$y"
		if err := d.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{"s1", "s2"} {
			if _, _, err := d.FindSession(ctx, tok); jixiao.ErrorCode(err) != jixiao.ENOTFOUND {
				t.Errorf("%s after a password reset: %v", tok, err)
			}
		}
		// Disabled: sessions end too.
		if err := d.CreateSession(ctx, &jixiao.Session{TokenHash: "s3", UserID: u.ID, CSRFToken: "c", ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		at := now
		u.DisabledAt = &at
		if err := d.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.FindSession(ctx, "s3"); jixiao.ErrorCode(err) != jixiao.ENOTFOUND {
			t.Errorf("s3 after disabling: %v", err)
		}
		if got, _ := d.FindUser(ctx, u.ID); got.DisabledAt == nil || got.PasswordHash != "$argon2id$y" {
			t.Errorf("after updates: %+v", got)
		}
		if err := d.DeleteSession(ctx, "gone"); err != nil {
			t.Errorf("deleting a missing session: %v", err)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		lockFor := func(n int) time.Duration {
			if n < 3 {
				return 0
			}
			return time.Duration(n) * time.Minute
		}
		at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		var th jixiao.LoginThrottle
		for i := 1; i <= 3; i++ {
			var err error
			if th, err = d.FailedLogin(ctx, "Nobody", at, lockFor); err != nil {
				t.Fatal(err)
			}
			if th.Failures != i {
				t.Fatalf("failure %d counted as %d", i, th.Failures)
			}
		}
		if !th.LockedUntil.Equal(at.Add(3 * time.Minute)) {
			t.Errorf("locked until %v", th.LockedUntil)
		}
		if got, err := d.FindLoginThrottle(ctx, "nobody"); err != nil || got != th {
			t.Errorf("FindLoginThrottle = %+v, %v; want %+v", got, err, th)
		}
		if err := d.ClearLoginThrottle(ctx, "NOBODY"); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.FindLoginThrottle(ctx, "nobody"); got.Failures != 0 || !got.LockedUntil.IsZero() {
			t.Errorf("after clearing: %+v", got)
		}
	})
}
