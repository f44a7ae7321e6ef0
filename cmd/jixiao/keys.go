package main

import (
	"context"
	"fmt"
	"time"

	"jixiao"
	"jixiao/storage"
)

func runKeys(ctx context.Context, s *streams, args []string) int {
	fs := newFlagSet(s, "keys", "jixiao keys create --role viewer|scorer|reviewer|admin [--department CODE] [--name NAME] [--db jixiao.db]")
	role := fs.String("role", "", "viewer, scorer, reviewer or admin")
	name := fs.String("name", "", "who or what the key is for (default: the role and date)")
	department := fs.String("department", "", "limit the key to this department's projects, by code (viewer or scorer)")
	db := fs.String("db", defaultDB(), dbUsage)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(pos) != 1 || pos[0] != "create" {
		return usageError(fs, "the only keys command is create")
	}
	if jixiao.RoleRank(*role) == 0 {
		return usageError(fs, "--role must be viewer, scorer, reviewer or admin, got %q", *role)
	}
	if *name == "" {
		*name = *role + "-" + time.Now().Format("20060102-150405")
	}
	store, err := storage.Open(ctx, *db)
	if err != nil {
		fmt.Fprintf(s.stderr, "jixiao keys: opening %s: %v\n", storage.DisplayName(*db), err)
		return exitUsage
	}
	defer store.Close()
	secret, key := jixiao.NewAPIKey(*name, *role, time.Now())
	key.Department = *department
	if err := store.CreateAPIKey(ctx, &key); err != nil {
		fmt.Fprintf(s.stderr, "jixiao keys: %v\n", err)
		return exitUsage
	}
	_ = store.AddAudit(ctx, jixiao.AuditEntry{At: time.Now().UTC(), Actor: "command line", Action: "key.create", Subject: key.Name,
		Detail: []byte(fmt.Sprintf(`{"role":%q,"prefix":%q}`, key.Role, key.Prefix))})
	fmt.Fprintf(s.stderr, "Created %s key %q. It is shown only this once:\n", key.Role, key.Name)
	fmt.Fprintln(s.stdout, secret)
	return exitOK
}
