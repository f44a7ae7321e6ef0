package main

import (
	"context"
	"fmt"
	"time"

	"jixiao"
	"jixiao/passwords"
	"jixiao/storage"
)

// runUsers creates a user, or gives one a new temporary password: how
// the first admin comes to exist, and how an admin who lost their
// password gets in again. The temporary password is printed once; the
// user must change it at the first login.
func runUsers(ctx context.Context, s *streams, args []string) int {
	fs := newFlagSet(s, "users", "jixiao users create|reset-password --name NAME [--role viewer|scorer|reviewer|admin] [--department CODE] [--display-name TEXT] [--db jixiao.db]")
	name := fs.String("name", "", "the login name (letters, digits, . _ -)")
	role := fs.String("role", "", "viewer, scorer, reviewer or admin (create)")
	display := fs.String("display-name", "", "the name shown, for example 张三 (create)")
	department := fs.String("department", "", "limit the user to this department's projects, by code (create; viewer or scorer)")
	db := fs.String("db", defaultDB(), dbUsage)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(pos) != 1 || (pos[0] != "create" && pos[0] != "reset-password") {
		return usageError(fs, "the users commands are create and reset-password")
	}
	login := jixiao.NormalizeUserName(*name)
	if msg := jixiao.ValidUserName(login); msg != "" {
		return usageError(fs, "--name %q: %s", *name, msg)
	}
	if pos[0] == "create" && jixiao.RoleRank(*role) == 0 {
		return usageError(fs, "--role must be viewer, scorer, reviewer or admin, got %q", *role)
	}
	if msg := jixiao.LabelProblem(*display); msg != "" {
		return usageError(fs, "--display-name: %s", msg)
	}
	store, err := storage.Open(ctx, *db)
	if err != nil {
		fmt.Fprintf(s.stderr, "jixiao users: opening %s: %v\n", storage.DisplayName(*db), err)
		return exitUsage
	}
	defer store.Close()
	password, hash, err := passwords.New(passwords.Recommended, 1).Temporary(ctx)
	if err != nil {
		fmt.Fprintf(s.stderr, "jixiao users: %v\n", err)
		return exitUsage
	}
	action := "user.create"
	var user *jixiao.User
	if pos[0] == "create" {
		user = &jixiao.User{Name: login, DisplayName: *display, Role: *role, Department: *department, PasswordHash: hash, MustChangePassword: true}
		err = store.CreateUser(ctx, user)
	} else {
		action = "user.password_reset"
		if user, err = store.FindUserByName(ctx, login); err == nil {
			user.PasswordHash, user.MustChangePassword = hash, true
			err = store.UpdateUser(ctx, user)
		}
	}
	if err != nil {
		fmt.Fprintf(s.stderr, "jixiao users: %v\n", err)
		return exitUsage
	}
	_ = store.AddAudit(ctx, jixiao.AuditEntry{At: time.Now().UTC(), Actor: "command line", Action: action, Subject: user.Name,
		Detail: []byte(fmt.Sprintf(`{"role":%q,"id":%d}`, user.Role, user.ID))})
	fmt.Fprintf(s.stderr, "User %s (%s) has this temporary password, shown only this once; it must be changed at the first login:\n", user.Name, user.Role)
	fmt.Fprintln(s.stdout, password)
	return exitOK
}
