package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
)

// Run loads the rule files first, if Load has not (see Load), then
// watches the rules directory until ctx ends, and returns nil. It reacts to file events, debounced: a burst of events (an editor's
// save-by-rename, a copy in several writes) leads to one scan of the whole
// directory once the events have been quiet for Options.Debounce. It also
// scans every Options.PollInterval, for filesystems without events, and
// to catch a directory that was replaced. A scan reads every rule file and
// loads only those whose content hash changed, so scanning often is cheap.
//
// Without a directory Run just waits for ctx. Run returns an error only
// when it cannot watch at all: no filesystem events and polling disabled.
func (r *Registry) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("registry: Run is already running")
	}
	defer r.running.Store(false)
	if err := r.Load(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if r.dir == "" {
		<-ctx.Done()
		return nil
	}

	var (
		watcher *fsnotify.Watcher
		events  <-chan fsnotify.Event
		errs    <-chan error
		watched bool
	)
	if !r.noEvents {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			r.log.Warn("cannot watch the rules directory for changes; falling back to polling", "dir", r.dir, "err", err)
		} else {
			defer w.Close()
			watcher, events, errs = w, w.Events, w.Errors
			if err := w.Add(r.dir); err != nil {
				r.log.Warn("cannot watch the rules directory for changes; falling back to polling", "dir", r.dir, "err", err)
			} else {
				watched = true
			}
		}
	}
	var tick <-chan time.Time
	if r.poll > 0 {
		t := time.NewTicker(r.poll)
		defer t.Stop()
		tick = t.C
	}
	if !watched && tick == nil {
		return fmt.Errorf("registry: cannot watch %s: no filesystem events and polling is disabled", r.dir)
	}

	// Changes made between Load and the watch being set up.
	r.rescan(ctx)

	maxWait := 5 * r.debounce
	var (
		timer *time.Timer
		fire  <-chan time.Time
		first time.Time // first event of the pending burst
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	schedule := func() {
		now := time.Now()
		if fire == nil {
			first = now
			if timer == nil {
				timer = time.NewTimer(r.debounce)
			} else {
				timer.Reset(r.debounce)
			}
			fire = timer.C
			return
		}
		wait := r.debounce
		if left := first.Add(maxWait).Sub(now); left < wait {
			wait = max(left, 0)
		}
		timer.Reset(wait)
	}

	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				watched = false
				continue
			}
			if filepath.Clean(ev.Name) == r.dir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				// The directory itself went away; the poll adds the
				// watch again once it is back.
				watched = false
				r.log.Warn("rules directory removed or renamed; the active rule sets stay as they are", "dir", r.dir)
				schedule()
				continue
			}
			if relevant(ev.Name) {
				schedule()
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			r.log.Warn("rules directory watch error", "dir", r.dir, "err", err)
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				schedule()
			}
		case <-fire:
			fire = nil
			r.rescan(ctx)
		case <-tick:
			if watcher != nil && !watched && events != nil {
				if err := watcher.Add(r.dir); err == nil {
					watched = true
					r.log.Info("watching the rules directory again", "dir", r.dir)
				}
			}
			r.rescan(ctx)
		}
	}
}

// relevant reports whether an event's file may change what is loaded: a
// rule file, or the "..data" link that Kubernetes swaps to update a
// mounted ConfigMap. Editors' swap and backup files are not.
func relevant(name string) bool {
	base := filepath.Base(name)
	return rules.IsRuleFile(base) || strings.HasPrefix(base, "..")
}

// rescan scans the directory and activates what changed. The files that
// changed are compiled and tested without the lock, so that a slow rule
// file does not hold up an upload, or a scan, of another; so are the rule
// sets that extend a changed one, built again on its new version. When ctx
// ends first, nothing of the scan is applied and ctx's error is returned.
func (r *Registry) rescan(ctx context.Context) error {
	if !r.ready.Load() {
		return nil // Load makes the first scan
	}
	attempts, err := r.scanFiles(ctx)
	if err != nil {
		return err
	}
	r.rebuildChildren(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reconcileLocked(attempts)
	return nil
}

// scanFiles reads the directory, builds the files whose content changed
// without the lock, and records the outcome: the files loaded, for
// reconcileLocked. Nothing is recorded when ctx ends first.
func (r *Registry) scanFiles(ctx context.Context) ([]*fileState, error) {
	r.mu.Lock()
	plan := r.planScanLocked()
	r.mu.Unlock()
	if plan == nil {
		return nil, nil
	}
	plan.build(ctx, r.buildHook)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := ctx.Err(); err != nil {
		for _, pl := range plan.loads {
			if r.building[pl.f.path] == pl.hash {
				delete(r.building, pl.f.path)
			}
		}
		return nil, err
	}
	return r.applyScanLocked(plan), nil
}

// scanPlan is one scan of the directory: what was read under the lock,
// to build without it and apply under it again.
type scanPlan struct {
	now      time.Time
	parents  map[string]*loaded
	seen     map[string]bool
	known    map[string]uint64 // path → gen of the files known when the scan began
	loads    []*pendingLoad
	attempts []*fileState // unreadable files, already recorded
}

// pendingLoad is new content of one file.
type pendingLoad struct {
	f       *fileState
	gen     uint64 // f.gen when read: applied only if nothing changed f since
	data    []byte
	hash    string
	l       *loaded
	results []engine.TestResult
	err     error
}

func (p *scanPlan) build(ctx context.Context, hook func(path string)) {
	for _, pl := range p.loads {
		if ctx.Err() != nil {
			return
		}
		if hook != nil {
			hook(pl.f.path)
		}
		pl.l, pl.results, pl.err = build(ctx, pl.f.path, pl.data, p.parents)
	}
}

// planScanLocked reads every rule file of the directory and lists those
// whose content changed. When the directory cannot be read it reports
// that and returns nil: a missing mount must not unload every rule set.
func (r *Registry) planScanLocked() *scanPlan {
	now := time.Now()
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		if r.dirErr == nil || r.dirErr.Error() != err.Error() {
			r.log.Error("cannot read the rules directory; the active rule sets stay as they are", "dir", r.dir, "err", err)
			r.dirErr, r.dirErrAt = err, now
			r.publishLocked(r.Snapshot())
		}
		return nil
	}
	if r.dirErr != nil {
		r.log.Info("rules directory readable again", "dir", r.dir)
		r.dirErr = nil
	}

	p := &scanPlan{now: now, parents: r.parentsLocked(), seen: map[string]bool{}, known: map[string]uint64{}}
	for path, f := range r.files {
		p.known[path] = f.gen
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !rules.IsRuleFile(name) {
			continue
		}
		path := filepath.Join(r.dir, name)
		data, err := readRuleFile(path)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errIsDir) {
			continue // removed since the listing, a dangling link, or a directory behind a link
		}
		p.seen[path] = true
		f := r.files[path]
		if f == nil {
			f = &fileState{path: path}
			r.files[path] = f
		}
		if err != nil {
			if f.hash == "" && f.err != nil && f.err.Error() == err.Error() {
				continue // the same problem as at the last scan
			}
			f.hash, f.err, f.failed, f.id, f.attempt = "", err, nil, "", now
			f.gen++
			r.logRejected(f)
			p.attempts = append(p.attempts, f)
			continue
		}
		h := hashOf(data)
		if h == f.hash || r.building[path] == h {
			continue // loaded, or being built by another scan
		}
		r.building[path] = h
		p.loads = append(p.loads, &pendingLoad{f: f, gen: f.gen, data: data, hash: h})
	}
	return p
}

// applyScanLocked records what a scan built and forgets the files that
// are gone; it returns the files loaded, for reconcileLocked. A file that
// changed hands meanwhile (an upload) is left as it is: the next scan
// reads it again.
func (r *Registry) applyScanLocked(p *scanPlan) []*fileState {
	attempts := p.attempts
	for _, pl := range p.loads {
		if r.building[pl.f.path] == pl.hash {
			delete(r.building, pl.f.path)
		}
		if r.files[pl.f.path] != pl.f || pl.f.gen != pl.gen {
			continue
		}
		r.recordLoadLocked(pl.f, pl.data, pl.hash, jixiao.SourceFile, "", p.now, pl.l, pl.results, pl.err)
		attempts = append(attempts, pl.f)
	}
	r.forgetGoneLocked(p)
	return attempts
}

// forgetGoneLocked forgets the files the scan did not find, unless they
// changed since it began. It reports whether it forgot any.
func (r *Registry) forgetGoneLocked(p *scanPlan) bool {
	forgot := false
	for _, path := range sortedKeys(r.files) {
		gen, known := p.known[path]
		f := r.files[path]
		if p.seen[path] || !known || f.gen != gen {
			continue // present, or new or changed since the scan began
		}
		delete(r.files, path)
		forgot = true
		if f.good != nil {
			r.log.Info("rule file removed", "file", path, "id", f.good.id())
		} else {
			r.log.Info("rejected rule file removed", "file", path)
		}
	}
	return forgot
}

// recordLoadLocked records the outcome of building new content of a file.
// A good version becomes the file's candidate for activation; a bad one
// leaves the file's last good version in place.
func (r *Registry) recordLoadLocked(f *fileState, data []byte, hash, source, who string, now time.Time, l *loaded, results []engine.TestResult, err error) {
	f.hash, f.attempt = hash, now
	f.gen++
	if err != nil {
		f.err, f.failed = err, failedTests(results)
		f.id = peekID(data)
		if f.good == nil && !r.ready.Load() {
			f.good = r.restoreLocked(f, now)
		}
		r.logRejected(f)
		return
	}
	f.err, f.failed, f.id = nil, nil, l.id()
	l.source, l.path, l.who, l.loadedAt = source, f.path, who, now
	f.good = l
	// An edit here is an activation: it comes before the shared version.
	r.unshareLocked(l.id())
}

// parentsLocked are the rule sets a file may extend: the active ones, and
// the built-ins.
func (r *Registry) parentsLocked() map[string]*loaded {
	sets := maps.Clone(r.builtins)
	for id, e := range r.Snapshot().sets {
		sets[id] = e.l
	}
	return sets
}

// restoreLocked returns the last good version of a file that does not load
// at start-up, from Options.LastGood, if it still loads, passes its tests
// and carries the file's id.
func (r *Registry) restoreLocked(f *fileState, now time.Time) *loaded {
	if r.lastGood == nil || f.id == "" {
		return nil
	}
	v, ok := r.lastGood(f.path, f.id)
	if !ok {
		return nil
	}
	rs, _, err := check(context.Background(), f.path, []byte(v.Body), nil)
	if err == nil && rs.Ref().ID != f.id {
		err = fmt.Errorf("its id is %s", rs.Ref().ID)
	}
	if err != nil {
		r.log.Warn("the last good version of a rule file is not restored", "file", f.path, "id", f.id,
			"version", v.Version, "hash", jixiao.ShortHash(v.Hash), "err", err.Error())
		return nil
	}
	source := v.Source
	if source != jixiao.SourceAPI {
		source = jixiao.SourceFile
	}
	r.log.Warn("rule file rejected at start-up; its last good version stays active until the file is fixed",
		"file", f.path, "id", f.id, "version", rs.Ref().Version, "hash", jixiao.ShortHash(rs.Ref().Hash))
	return &loaded{rs: rs, source: source, path: f.path, who: v.LoadedBy, loadedAt: now}
}

func (r *Registry) logRejected(f *fileState) {
	args := []any{"file", f.path}
	id := f.id
	if id == "" && f.good != nil {
		id = f.good.id()
	}
	if id != "" {
		args = append(args, "id", id)
		if e, ok := r.Snapshot().sets[id]; ok {
			args = append(args, "active_version", e.l.rs.Ref().Version, "active_hash", jixiao.ShortHash(e.l.hash()), "active_path", e.l.path)
		}
	}
	if len(f.failed) > 0 {
		args = append(args, "failed_tests", f.failed)
	}
	args = append(args, "err", f.err.Error())
	r.log.Error("rule file rejected; the last good version stays active", args...)
}

var errIsDir = errors.New("is a directory")

// readRuleFile reads a rule file, refusing what is not a regular file (a
// FIFO would block the scan) and what is too large to be a rule file.
func readRuleFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errIsDir
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > rules.MaxFileSize {
		return nil, rules.Errors{{File: path, Message: fmt.Sprintf("file is %d bytes, larger than the %d allowed", st.Size(), rules.MaxFileSize)}}
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	// The file may grow between Stat and here; Parse reports the size.
	return io.ReadAll(io.LimitReader(fh, rules.MaxFileSize+1))
}
