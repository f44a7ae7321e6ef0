package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
)

// ErrNoDir is returned by Put when the registry has no rules directory to
// write to (code unavailable: uploads are not possible in this set-up).
var ErrNoDir error = jixiao.Errorf(jixiao.EUNAVAILABLE, "the service has no rules directory; rule files cannot be uploaded")

// ErrLoading is returned by Put before Load has finished.
var ErrLoading error = jixiao.Errorf(jixiao.EUNAVAILABLE, "规则文件仍在加载，请稍后再上传")

// Validate is a dry run of what an upload goes through: strict decoding,
// compiling every formula and running the file's tests. It never
// activates or writes anything. The error is rules.Errors: the
// diagnostics of a file that does not load, or one per failed test (the
// rule set and the results are then returned too). ctx stops the tests.
func (r *Registry) Validate(ctx context.Context, path string, data []byte) (*engine.RuleSet, []engine.TestResult, error) {
	r.mu.Lock()
	parents := r.parentsLocked()
	r.mu.Unlock()
	l, results, err := build(ctx, path, data, parents)
	if l == nil {
		return nil, results, err
	}
	return l.rs, results, err
}

// Put validates an uploaded rule file for id, writes it into the rules
// directory and activates it, with source api and loaded_by who.
//
// The file's own id must be id. It is written to the file that currently
// carries the id (so that it replaces it rather than losing to it by
// name), or else to id.yaml. Writing is atomic: a temporary file in the
// directory, synced, then renamed over the target. On any failure nothing
// is written and the active version is unchanged; validation failures are
// returned as rules.Errors, other refusals as *jixiao.Error (invalid id,
// conflict with a file of another rule set, no directory).
//
// Put first scans the directory, so that edits not yet picked up are
// taken into account. Content identical to the active version of the same
// file is not written again and activates nothing; the active rule set is
// returned. (Content identical to the active version from elsewhere, such
// as the built-in, is written but is not a new activation: activations
// are changes of hash.)
// The watcher, seeing the written file, finds its hash already loaded and
// does not activate it a second time. The rule sets that extend id are
// built again on the new version, without the lock, before it is
// activated. ctx stops the checks; nothing is written after it ends.
func (r *Registry) Put(ctx context.Context, id string, data []byte, who string) (*engine.RuleSet, error) {
	if r.dir == "" {
		return nil, ErrNoDir
	}
	if !r.ready.Load() {
		return nil, ErrLoading
	}
	if !validID(id) {
		return nil, jixiao.Errorf(jixiao.EINVALID, "%q is not a rule-set id: a letter, then letters, digits, _ or -", id)
	}
	// A rules directory removed since the start is made again: an upload
	// is either written or refused, never reported done when it is not.
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, fmt.Errorf("the rules directory %s is missing and cannot be made again: %w", r.dir, err)
	}
	// Catch up with the directory first, so that the target is chosen
	// against what is on disk now and not at the last scan. The scan
	// builds without the lock, and leaves a file another scan is already
	// building to that scan: a slow file does not hold up this upload.
	if err := r.rescan(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	path, err := r.targetLocked(id)
	parents := r.parentsLocked()
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// Compiled and tested without the lock: scans and other uploads go on.
	l, _, err := build(ctx, path, data, parents)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		r.log.Warn("rule file upload rejected", "id", id, "file", path, "by", who, "err", err.Error())
		return nil, err
	}
	rs := l.rs
	if got := rs.Ref().ID; got != id {
		t := rs.File().ID
		return nil, rules.Errors{{File: path, Line: t.Line, Column: t.Column,
			Message: fmt.Sprintf("the file's id is %s, but it was uploaded as %s", got, id)}}
	}

	f, active, err := r.write(id, path, data, who, l)
	if err != nil || active != nil {
		return active, err
	}
	r.rebuildChildren(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reconcileLocked([]*fileState{f})
	if e, ok := r.activateErrs[id]; ok {
		if cur, active := r.Snapshot().sets[id]; !active || cur.l != l {
			return nil, errors.New(e.Diagnostics[0].Message)
		}
	}
	if f.dupErr != nil {
		// Cannot happen for a target chosen by targetLocked, but the
		// caller must not believe the upload is in use if it is not.
		return nil, f.dupErr
	}
	return rs, nil
}

// write writes a checked upload to path, unless the directory changed
// since the target was chosen, and records it as the file's good version.
// When the same content is active from that file already it writes
// nothing and returns the active rule set.
func (r *Registry) write(id, path string, data []byte, who string, l *loaded) (*fileState, *engine.RuleSet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if again, err := r.targetLocked(id); err != nil || again != path {
		return nil, nil, jixiao.Errorf(jixiao.ECONFLICT, "the rules directory changed while the upload of %s was checked; send it again", id)
	}
	hash, fileHash := l.hash(), hashOf(data) // differ for a file that extends another
	if e, ok := r.Snapshot().sets[id]; ok && e.l.hash() == hash && e.l.path == path {
		if f := r.files[path]; f != nil && f.hash == fileHash {
			return nil, e.l.rs, nil
		}
	}
	if err := r.writeFileAtomic(path, data); err != nil {
		r.log.Error("cannot write uploaded rule file", "id", id, "file", path, "by", who, "err", err)
		return nil, nil, err
	}
	f := r.files[path]
	if f == nil {
		f = &fileState{path: path}
		r.files[path] = f
	}
	now := time.Now()
	f.hash, f.attempt, f.err, f.failed, f.id = fileHash, now, nil, nil, id
	f.gen++
	l.source, l.path, l.who, l.loadedAt = jixiao.SourceAPI, path, who, now
	f.good = l
	r.unshareLocked(id)
	return f, nil, nil
}

// targetLocked chooses the file an upload for id is written to: the file
// of the active version, or a file that declares the id but does not load,
// or id.yaml, unless that holds another rule set.
func (r *Registry) targetLocked(id string) (string, error) {
	if e, ok := r.Snapshot().sets[id]; ok && e.l.source != jixiao.SourceBuiltin {
		return e.l.path, nil
	}
	for _, path := range sortedKeys(r.files) {
		if f := r.files[path]; f.id == id {
			return path, nil
		}
	}
	path := filepath.Join(r.dir, id+".yaml")
	other := ""
	if f := r.files[path]; f != nil {
		other = f.id
		if other == "" && f.good != nil {
			other = f.good.id()
		}
	} else if data, err := readRuleFile(path); err == nil {
		other = peekID(data) // written since the last scan
	}
	if other != "" && other != id {
		return "", jixiao.Errorf(jixiao.ECONFLICT, "%s holds rule set %s; it is not overwritten by an upload of %s", filepath.Base(path), other, id)
	}
	return path, nil
}

// writeFileAtomic writes data to a temporary file next to path, syncs it
// and renames it over path, so that readers see the old file or the new
// one, never a part. On error the temporary file is removed and path is
// untouched.
func (r *Registry) writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	perm := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		perm = st.Mode().Perm()
	}
	// A leading dot keeps the watcher from reading the half-written file.
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(name, path); err != nil {
		return err
	}
	// The file is in place; syncing the directory makes the rename
	// durable. Some systems cannot sync a directory: not a reason to
	// report the upload as failed.
	if d, derr := os.Open(dir); derr == nil {
		if serr := d.Sync(); serr != nil {
			r.log.Debug("cannot sync the rules directory", "dir", dir, "err", serr)
		}
		d.Close()
	}
	return nil
}
