package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"
)

// serveLock is held by the one serve process of a SQLite file: a second
// one would take the first one's running batch for interrupted and score
// it again. It is an exclusive flock on "<db>.lock", which the system
// releases when the process ends, however it ends; the file names the
// holder, for the message a second process gives.
type serveLock struct{ f *os.File }

func lockDatabase(db, addr string) (*serveLock, error) {
	path := db + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return nil, fmt.Errorf("the folder of the database %s cannot be written (it is read-only, or this user may not write there): choose a writable place with --db (%w)", db, err)
		}
		return nil, fmt.Errorf("cannot create the lock file %s next to the database: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who == "" {
				who = "another process"
			}
			return nil, fmt.Errorf("the database %s is in use by another jixiao serve (%s); stop it first, or give this one another --db", db, who)
		}
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "pid %d, listening on %s, since %s\n", os.Getpid(), addr, time.Now().UTC().Format(time.RFC3339))
		f.Sync()
	}
	return &serveLock{f: f}, nil
}

// release lets the next serve have the database.
func (l *serveLock) release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
