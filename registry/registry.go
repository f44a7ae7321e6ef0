// Package registry holds the rule sets a running service scores with: the
// built-ins, overridden or completed by the YAML files of a rules
// directory that the finance bureau edits while the service runs.
//
// A changed file is decoded strictly, every formula is compiled and the
// tests written in the file are run; only a version that passes all of
// this becomes active, by an atomic swap of an immutable Snapshot. A broken
// edit never replaces the version in use: it is reported in Status, in the
// log and through Options.OnReload, and the last good version stays
// active until the file is fixed.
//
// Precedence for one rule-set id: a file in the directory beats the
// built-in of the same id; of two files with the same id, the first by
// name wins and the second is reported as an error.
package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"jixiao"
	"jixiao/engine"
	"jixiao/rules"
)

// Defaults for Options.
const (
	DefaultDebounce     = 200 * time.Millisecond
	DefaultPollInterval = 2 * time.Second
)

// Options configure a Registry.
type Options struct {
	// Dir is the rules directory; "" serves the built-ins only.
	Dir string
	// Debounce is how long a burst of file events must stay quiet before
	// the directory is scanned again; 0 means DefaultDebounce. A steady
	// stream of events still leads to a scan after five times Debounce.
	Debounce time.Duration
	// PollInterval is how often the directory is scanned regardless of
	// events, for filesystems that send none (network shares, some
	// container mounts); 0 means DefaultPollInterval, negative disables.
	PollInterval time.Duration
	// Logger receives activations, rejected files and removals; nil means
	// slog.Default().
	Logger *slog.Logger
	// OnActivate is called for every version that becomes active,
	// including the ones active at start-up, so that the caller can store
	// the version and write an audit entry. It is called synchronously
	// and before the new snapshot is published: once a score can name the
	// version's hash, OnActivate has returned. Calls are serialised, in
	// the order of activation. It may call Snapshot, Status and Validate,
	// but not Put (which waits for the change in progress). An error keeps
	// the version from becoming active (a score must never name a version
	// that was not recorded): the one before stays, the error is shown in
	// Status, and the activation is tried again at the next change or
	// scan.
	OnActivate func(v jixiao.RuleSetVersion) error
	// OnReload is called after every load attempt of a file (new content,
	// an unreadable file, or an accepted upload; a rejected upload is
	// only returned to its caller): the rule-set id, or the file
	// name when the id cannot be read, and whether the content became, or
	// may become, the active version (false for a broken file or for a
	// second file with an id that is already taken). Same rules as
	// OnActivate.
	OnReload func(id string, ok bool)
	// LastGood gives, for a rule file that does not load when the registry
	// starts, the version of it that was last active (as passed to
	// OnActivate before a restart: id, body, source, path), or false.
	// That version is checked again and, if it passes and is still the
	// file's id, it is active in place of the built-in, with the file's
	// error reported as for a broken edit: a restart does not undo "the
	// last good version stays active until the file is fixed". Called
	// only by New, for files whose id can be read. nil means no memory
	// across restarts.
	LastGood func(path, id string) (jixiao.RuleSetVersion, bool)
	// Shared, for instances that share a database (PostgreSQL), gives the
	// version of each rule set activated last on any of them. Load takes
	// these over the built-ins and this instance's files, and Sync, called
	// when another instance activates one, switches to them: an
	// activation anywhere is active everywhere. A rule file that changes
	// on this instance, or an upload to it, is activated and so becomes
	// the shared version. nil: nothing is shared.
	Shared func(ctx context.Context) ([]jixiao.RuleSetVersion, error)
	// OnAdopt is called for every version taken from Shared as it
	// becomes active here (OnActivate is not: it was recorded where it
	// was activated). Same rules as OnActivate.
	OnAdopt func(v jixiao.RuleSetVersion)

	// noEvents disables the filesystem watcher, leaving the poll.
	noEvents bool
	// buildHook, for tests, is called before a rule file is built.
	buildHook func(path string)
}

// Registry holds the active rule sets. Snapshot and Status never block;
// changes (directory scans and Put) are serialised.
type Registry struct {
	dir        string
	debounce   time.Duration
	poll       time.Duration
	noEvents   bool
	log        *slog.Logger
	onActivate func(jixiao.RuleSetVersion) error
	onReload   func(string, bool)
	lastGood   func(path, id string) (jixiao.RuleSetVersion, bool)
	sharedFn   func(ctx context.Context) ([]jixiao.RuleSetVersion, error)
	onAdopt    func(jixiao.RuleSetVersion)
	syncing    sync.Mutex // serialises Sync
	buildHook  func(path string)
	// published holds the snapshot and the status computed from it in
	// one pointer, so that no reader sees a new version active beside the
	// errors of the file it fixed.
	published    atomic.Pointer[published]
	ready        atomic.Bool
	running      atomic.Bool
	loading      sync.Mutex            // serialises Load
	mu           sync.Mutex            // guards everything below, and the swaps
	builtins     map[string]*loaded    // by id
	files        map[string]*fileState // by path, the rule files last seen in dir
	dirErr       error                 // the directory could not be read
	dirErrAt     time.Time
	lastAttempts map[string]time.Time // by id, last load attempt of a file with that id
	// rebuildErrs are the rule sets that did not pass on the new version
	// of the rule set they extend, by id; rebuildTried the parent hash
	// they failed on, so that they are not built again until it changes.
	rebuildErrs  map[string]FileError
	rebuildTried map[string]string
	// activateErrs are the rule sets whose new version could not be
	// recorded by OnActivate, by id.
	activateErrs map[string]FileError
	// retired are the versions most recently replaced, oldest first, at
	// most KeepRetired of them.
	retired []*engine.RuleSet
	// building are the files a scan is building without the lock, by
	// path, with the content hash: another scan leaves them to it.
	building map[string]string
	// rebuilding are the rule sets being built again on a new version of
	// their parent without the lock, by id, with that version's hash.
	rebuilding map[string]string
	// shared are the versions taken from Options.Shared, by id: they
	// come before the built-ins and files until a file or an upload of
	// the id changes here.
	shared map[string]*loaded
	// activations counts the versions activated here (not adopted): a
	// reading of the shared versions begun before one of them may be
	// older than it, and is dropped (see adoptShared).
	activations uint64
}

// KeepRetired is how many replaced versions stay compiled in memory.
const KeepRetired = 16

// byHashLocked indexes the active versions of sets and the versions just
// retired from old, with the ones retired before, up to KeepRetired.
func (r *Registry) byHashLocked(old *Snapshot, sets map[string]*entry) map[string]*engine.RuleSet {
	byHash := make(map[string]*engine.RuleSet, len(sets)+KeepRetired)
	for _, e := range sets {
		byHash[e.l.hash()] = e.l.rs
	}
	for _, id := range sortedKeys(old.sets) {
		if l := old.sets[id].l; byHash[l.hash()] == nil {
			r.retired = append(r.retired, l.rs)
		}
	}
	if n := len(r.retired) - KeepRetired; n > 0 {
		r.retired = append(r.retired[:0:0], r.retired[n:]...)
	}
	for _, rs := range r.retired {
		if h := rs.Ref().Hash; byHash[h] == nil {
			byHash[h] = rs
		}
	}
	return byHash
}

// loaded is one version that passed every check, with where it came from.
type loaded struct {
	rs       *engine.RuleSet
	source   string // jixiao.SourceBuiltin, SourceFile or SourceAPI
	path     string
	who      string
	loadedAt time.Time
	// For a file that extends another rule set: the file as written, to
	// build it again on a new version of the parent, and the effective
	// hash of the parent it was built on.
	data       []byte
	parentHash string
	// adopted: activated by another instance of the shared database and
	// taken from it; already recorded there.
	adopted bool
}

// extends is the id of the rule set l was built on, or "".
func (l *loaded) extends() string { return l.rs.File().Extends.Value }

func (l *loaded) id() string   { return l.rs.Ref().ID }
func (l *loaded) hash() string { return l.rs.Ref().Hash }

// fileState is what the registry knows of one rule file in the directory.
type fileState struct {
	path    string
	gen     uint64  // moves on with every change recorded, for scans that build without the lock
	hash    string  // sha256 of the content last loaded; "" after a read error
	good    *loaded // the last content of this file that passed every check
	id      string  // id of the current content, as far as it could be read
	err     error   // why the current content was rejected
	failed  []string
	dupErr  error // the current good version lost to an earlier file
	attempt time.Time
}

// rejected reports whether the file's current content is not in use
// because of an error.
func (f *fileState) rejected() bool { return f.err != nil || f.dupErr != nil }

// New is Open followed by Load: it returns once the built-ins and every
// rule file of opts.Dir are loaded and the registry is ready.
func New(opts Options) (*Registry, error) {
	r, err := Open(opts)
	if err != nil {
		return nil, err
	}
	if err := r.Load(context.Background()); err != nil {
		return nil, err
	}
	return r, nil
}

// Open loads the built-in rule sets and checks that opts.Dir is a readable
// directory, and returns without reading the rule files: Load does that,
// so that a server can listen, and say it is not ready yet, while they are
// compiled and tested. Until Load has finished the snapshot is empty and
// Ready is false. Open fails when opts.Dir is not a readable directory, or
// when a built-in rule set does not load or pass its own tests.
func Open(opts Options) (*Registry, error) {
	r := &Registry{
		debounce:     opts.Debounce,
		poll:         opts.PollInterval,
		noEvents:     opts.noEvents,
		log:          opts.Logger,
		onActivate:   opts.OnActivate,
		onReload:     opts.OnReload,
		lastGood:     opts.LastGood,
		buildHook:    opts.buildHook,
		builtins:     map[string]*loaded{},
		files:        map[string]*fileState{},
		lastAttempts: map[string]time.Time{},
		rebuildErrs:  map[string]FileError{},
		rebuildTried: map[string]string{},
		activateErrs: map[string]FileError{},
		building:     map[string]string{},
		rebuilding:   map[string]string{},
		shared:       map[string]*loaded{},
		sharedFn:     opts.Shared,
		onAdopt:      opts.OnAdopt,
	}
	if opts.Dir != "" {
		r.dir = filepath.Clean(opts.Dir)
	}
	if r.debounce <= 0 {
		r.debounce = DefaultDebounce
	}
	if r.poll == 0 {
		r.poll = DefaultPollInterval
	}
	if r.log == nil {
		r.log = slog.Default()
	}

	now := time.Now()
	// The built-ins that extend another are loaded after it.
	pending := rules.Builtin()
	for len(pending) > 0 {
		var later []rules.Source
		for _, src := range pending {
			if ext := rules.ExtendsOf(src.Data); ext != "" && r.builtins[ext] == nil {
				later = append(later, src)
				continue
			}
			l, _, err := build(context.Background(), src.Path, src.Data, r.builtins)
			if err != nil {
				return nil, fmt.Errorf("built-in rule set %s: %w", src.Path, err)
			}
			id := l.id()
			if prev, dup := r.builtins[id]; dup {
				return nil, fmt.Errorf("built-in rule sets %s and %s have the same id %s", prev.path, src.Path, id)
			}
			l.source, l.path, l.loadedAt = jixiao.SourceBuiltin, src.Path, now
			r.builtins[id] = l
			r.lastAttempts[id] = now
		}
		if len(later) == len(pending) {
			return nil, fmt.Errorf("built-in rule set %s extends %s, which is not a built-in that loads", later[0].Path, rules.ExtendsOf(later[0].Data))
		}
		pending = later
	}
	byHash := map[string]*engine.RuleSet{}
	for _, b := range r.builtins {
		byHash[b.hash()] = b.rs
	}
	r.published.Store(&published{snap: &Snapshot{sets: map[string]*entry{}, byHash: byHash}})

	if r.dir != "" {
		st, err := os.Stat(r.dir)
		if err != nil {
			return nil, fmt.Errorf("rules directory: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("rules directory %s: not a directory", r.dir)
		}
		if _, err := os.ReadDir(r.dir); err != nil {
			return nil, fmt.Errorf("rules directory: %w", err)
		}
	}
	return r, nil
}

// Load reads the rule files of the directory and activates, for every
// id, the file's version, or for a file that does not load its last good
// version (Options.LastGood), or else the built-in; then the registry is
// ready. Broken files do not make Load fail: they are reported in Status.
// Files are compiled and tested without the lock, and ctx stops that: Load
// then returns ctx's error and the registry stays not ready, with nothing
// activated. Load fails when a version cannot be recorded by OnActivate
// and no other is active for its id. Once it has succeeded it does
// nothing.
func (r *Registry) Load(ctx context.Context) error {
	r.loading.Lock()
	defer r.loading.Unlock()
	if r.ready.Load() {
		return nil
	}
	var attempts []*fileState
	if r.dir != "" {
		var err error
		if attempts, err = r.scanFiles(ctx); err != nil {
			return err
		}
	}
	r.rebuildChildren(ctx)
	if err := r.adoptShared(ctx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reconcileLocked(attempts)
	for _, id := range sortedKeys(r.activateErrs) {
		if _, ok := r.Snapshot().sets[id]; !ok {
			return fmt.Errorf("rule set %s: %s", id, r.activateErrs[id].Diagnostics[0].Message)
		}
	}
	r.ready.Store(true)
	return nil
}

// Ready reports whether Load has finished: the built-ins and the rule
// files (or their last good versions) are active. A broken edit later
// does not make it false: the last good versions go on serving.
func (r *Registry) Ready() bool { return r != nil && r.ready.Load() }

// Dir returns the rules directory, "" for built-ins only.
func (r *Registry) Dir() string { return r.dir }

// Snapshot returns the current set of active rule sets. It never blocks
// and never changes: a batch that keeps the snapshot it started with
// scores every project with the same versions.
func (r *Registry) Snapshot() *Snapshot { return r.published.Load().snap }

type published struct {
	snap   *Snapshot
	status []Status
}

// Snapshot is an immutable view of the active rule sets.
type Snapshot struct {
	sets   map[string]*entry
	byHash map[string]*engine.RuleSet
	ids    []string
}

type entry struct {
	l           *loaded
	activatedAt time.Time
}

// Get returns the active rule set of an id.
func (s *Snapshot) Get(id string) (*engine.RuleSet, bool) {
	e, ok := s.sets[id]
	if !ok {
		return nil, false
	}
	return e.l.rs, true
}

// ByHash returns a rule set by content hash: an active version, or one of
// the KeepRetired versions most recently replaced. Older versions are let
// go, so that memory does not grow with every edit; callers find them in
// storage (every activated version is recorded).
func (s *Snapshot) ByHash(hash string) (*engine.RuleSet, bool) {
	rs, ok := s.byHash[hash]
	return rs, ok
}

// IDs returns the ids of the active rule sets, sorted.
func (s *Snapshot) IDs() []string { return slices.Clone(s.ids) }

// Version returns the active version of an id as it was passed to
// OnActivate (with its current path and source).
func (s *Snapshot) Version(id string) (jixiao.RuleSetVersion, bool) {
	e, ok := s.sets[id]
	if !ok {
		return jixiao.RuleSetVersion{}, false
	}
	return e.version(), true
}

func (e *entry) version() jixiao.RuleSetVersion {
	at := e.activatedAt
	return versionOf(e.l, &at)
}

func versionOf(l *loaded, activatedAt *time.Time) jixiao.RuleSetVersion {
	f := l.rs.File()
	ref := l.rs.Ref()
	return jixiao.RuleSetVersion{
		RuleSetID:   ref.ID,
		Version:     ref.Version,
		Hash:        ref.Hash,
		Name:        f.Name.Value,
		Body:        string(f.Body),
		Source:      l.source,
		Path:        l.path,
		LoadedBy:    l.who,
		LoadedAt:    l.loadedAt,
		ActivatedAt: activatedAt,
	}
}

// Status is the state of one rule-set id: its active version and the
// problems of the files that carry the id. An entry with an empty ID is a
// file whose id could not be read (Path is the file), or the rules
// directory itself when it cannot be read.
type Status struct {
	ID          string             `json:"id,omitempty"`
	Active      *jixiao.RuleSetRef `json:"active,omitempty"`
	Name        string             `json:"name,omitempty"`
	Source      string             `json:"source,omitempty"`
	Path        string             `json:"path,omitempty"`
	LoadedBy    string             `json:"loaded_by,omitempty"`
	ActivatedAt *time.Time         `json:"activated_at,omitempty"`
	// LastAttempt is the last time a file of this id was loaded (for a
	// built-in that no file touched: the start).
	LastAttempt *time.Time `json:"last_attempt,omitempty"`
	// Errors are the files of this id whose current content is not in
	// use. Empty when every file is active.
	Errors []FileError `json:"errors,omitempty"`
}

// FileError is why a file's current content is not in use.
type FileError struct {
	Path        string             `json:"path"`
	At          time.Time          `json:"at"`
	Diagnostics []rules.Diagnostic `json:"diagnostics"`
	FailedTests []string           `json:"failed_tests,omitempty"`
}

// Status returns the state of every rule-set id, sorted by id, followed by
// the files whose id could not be read. It never blocks.
func (r *Registry) Status() []Status {
	p := r.published.Load()
	out := make([]Status, len(p.status))
	for i, s := range p.status {
		s.Errors = slices.Clone(s.Errors)
		out[i] = s
	}
	return out
}

// check decodes, compiles and tests one rule file. A panic in any of it is
// reported as an error of the file: a rule file must never stop the
// service.
func check(ctx context.Context, path string, data []byte, parents rules.Parents) (rs *engine.RuleSet, results []engine.TestResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			rs, results = nil, nil
			err = rules.Errors{{File: path, Message: fmt.Sprintf("internal error while loading the file: %v", p)}}
		}
	}()
	rs, err = engine.LoadWith(path, data, parents)
	if err != nil {
		return nil, nil, err
	}
	results = rs.RunTestsWithin(ctx, engine.TestBudget)
	if err := rs.TestError(results); err != nil {
		return rs, results, err
	}
	return rs, results, nil
}

// build checks a rule file whose parent, if it extends one, is the rule
// set of that id in sets, and returns it as loaded, without its origin.
// When ctx ends the tests not yet run fail.
func build(ctx context.Context, path string, data []byte, sets map[string]*loaded) (*loaded, []engine.TestResult, error) {
	parents := func(id string) (*rules.File, bool) {
		if l := sets[id]; l != nil {
			return l.rs.File(), true
		}
		return nil, false
	}
	rs, results, err := check(ctx, path, data, parents)
	if err != nil {
		if rs != nil { // failed tests: the rule set is returned with them
			return &loaded{rs: rs}, results, err
		}
		return nil, results, err
	}
	l := &loaded{rs: rs}
	if ext := rs.File().Extends.Value; ext != "" {
		l.data, l.parentHash = data, sets[ext].hash()
	}
	return l, results, nil
}

func failedTests(results []engine.TestResult) []string {
	var out []string
	for _, t := range results {
		if !t.Passed {
			out = append(out, t.Name)
		}
	}
	return out
}

// diagnostics turns any load error into diagnostics located at the file.
func diagnostics(path string, err error) []rules.Diagnostic {
	var errs rules.Errors
	if errors.As(err, &errs) {
		return slices.Clone(errs)
	}
	return []rules.Diagnostic{{File: path, Message: err.Error()}}
}

func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// peekID reads the top-level id of a rule file that may not load, so that
// its error can be shown with the rule set it was meant for.
func peekID(data []byte) string {
	if id := rules.IDOf(data); validID(id) {
		return id
	}
	return ""
}

// validID accepts what a rule file's id may be, which is also a safe file
// name.
func validID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for i, c := range id {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// reconcileLocked works out which version of every id should be active
// from the built-ins and the files, calls OnActivate for each change and
// publishes the new snapshot and status. attempts are the files loaded
// since the last reconcile; OnReload is called for them once it is known
// whether they lost to another file of the same id.
func (r *Registry) reconcileLocked(attempts []*fileState) {
	now := time.Now()

	want, dups := r.wantLocked()
	for _, path := range sortedKeys(r.files) {
		f := r.files[path]
		oldDup := f.dupErr
		f.dupErr = nil
		first, dup := dups[f]
		if !dup {
			continue
		}
		id, idText := f.good.id(), f.good.rs.File().ID
		f.dupErr = rules.Errors{{File: path, Line: idText.Line, Column: idText.Column,
			Message: fmt.Sprintf("id %s is also the id of %s, which comes first by name and is used; this file is ignored", id, filepath.Base(first.path))}}
		if oldDup == nil || oldDup.Error() != f.dupErr.Error() {
			r.log.Error("rule file ignored: another file has the same id", "file", path, "id", id, "used", first.path)
		}
	}
	// A rule set built on the version of its parent that is wanted has
	// nothing left to rebuild.
	for id, l := range want {
		if ext := l.extends(); ext == "" || want[ext] != nil && want[ext].hash() == l.parentHash {
			delete(r.rebuildErrs, id)
		}
	}

	old := r.Snapshot()
	snap := old
	sets := make(map[string]*entry, len(want))
	changed := false
	for _, id := range sortedKeys(want) {
		l := want[id]
		cur := old.sets[id]
		switch {
		case cur != nil && cur.l == l:
			sets[id] = cur
		case cur != nil && cur.l.hash() == l.hash():
			// The same content again, or from another place (a renamed
			// file, an upload of what was already active): not a new
			// version.
			sets[id] = &entry{l: l, activatedAt: cur.activatedAt}
			changed = true
			if cur.l.path == l.path && cur.l.source == l.source {
				continue
			}
			r.log.Info("rule set now served from another source", "id", id, "version", l.rs.Ref().Version,
				"hash", jixiao.ShortHash(l.hash()), "source", l.source, "path", l.path)
		default:
			e := &entry{l: l, activatedAt: now}
			if l.adopted {
				sets[id] = e
				changed = true
				r.callAdopt(versionOf(l, &e.activatedAt))
				r.log.Info("rule set activated on another instance is now active here", "id", id, "version", l.rs.Ref().Version,
					"hash", jixiao.ShortHash(l.hash()), "source", l.source, "path", l.path)
				continue
			}
			if err := r.callActivate(versionOf(l, &e.activatedAt)); err != nil {
				fe := FileError{Path: l.path, At: now, Diagnostics: []rules.Diagnostic{{File: l.path,
					Message: "this version could not be recorded, so it is not active: " + err.Error()}}}
				if prev, ok := r.activateErrs[id]; !ok || prev.Diagnostics[0].Message != fe.Diagnostics[0].Message {
					r.log.Error("rule set not activated: its version could not be recorded", "id", id, "hash", jixiao.ShortHash(l.hash()), "path", l.path, "err", err)
				}
				r.activateErrs[id] = fe
				if cur != nil {
					sets[id] = cur
				}
				continue
			}
			delete(r.activateErrs, id)
			r.activations++
			sets[id] = e
			changed = true
			args := []any{"id", id, "version", l.rs.Ref().Version, "hash", jixiao.ShortHash(l.hash()), "source", l.source, "path", l.path}
			if l.who != "" {
				args = append(args, "by", l.who)
			}
			if cur != nil {
				args = append(args, "previous_version", cur.l.rs.Ref().Version, "previous_hash", jixiao.ShortHash(cur.l.hash()))
			}
			r.log.Info("rule set activated", args...)
		}
	}
	for _, id := range sortedKeys(old.sets) {
		if _, ok := sets[id]; !ok {
			changed = true
			cur := old.sets[id].l
			r.log.Warn("rule set removed: its file is gone and there is no built-in of that id",
				"id", id, "version", cur.rs.Ref().Version, "path", cur.path)
		}
	}
	if changed {
		snap = &Snapshot{sets: sets, byHash: r.byHashLocked(old, sets), ids: sortedKeys(sets)}
	}

	reloaded := make([]string, len(attempts))
	for i, f := range attempts {
		id := f.id
		if id == "" && f.good != nil {
			id = f.good.id()
		}
		if id != "" {
			r.lastAttempts[id] = f.attempt
		}
		if id == "" {
			id = filepath.Base(f.path)
		}
		reloaded[i] = id
	}
	r.publishLocked(snap)
	for i, f := range attempts {
		r.callReload(reloaded[i], !f.rejected())
	}
}

// wantLocked works out which version of every id should be active: the
// built-in, unless a file has the id; of two files with one id, the first
// by name. dups maps each file that lost that way to the file used.
func (r *Registry) wantLocked() (want map[string]*loaded, dups map[*fileState]*fileState) {
	want = maps.Clone(r.builtins)
	claimed := map[string]*fileState{}
	for _, path := range sortedKeys(r.files) {
		f := r.files[path]
		if f.good == nil {
			continue
		}
		id := f.good.id()
		if first, taken := claimed[id]; taken {
			if dups == nil {
				dups = map[*fileState]*fileState{}
			}
			dups[f] = first
			continue
		}
		claimed[id] = f
		want[id] = f.good
	}
	for id, l := range r.shared {
		want[id] = l
	}
	return want, dups
}

// rebuild is a rule set that extends one whose wanted version is not the
// one it was built on.
type rebuild struct {
	id, parentHash string
	old            *loaded
	l              *loaded
	results        []engine.TestResult
	err            error
}

// rebuildChildren builds again every wanted rule set that extends one and
// was built on another version of it, children before grandchildren. A
// rebuilt rule set passes the same checks and tests as an edited file and
// replaces the old one where it came from; one that does not pass keeps
// its last good version, and the error is shown in Status. The building
// is done without the lock; the caller reconciles afterwards. Once ctx
// ends nothing more is built or applied.
func (r *Registry) rebuildChildren(ctx context.Context) {
	for pass := 0; ; pass++ {
		r.mu.Lock()
		want, _ := r.wantLocked()
		if pass > len(want) { // grandchildren follow children: never more passes
			r.mu.Unlock()
			return
		}
		var jobs []*rebuild
		for _, id := range sortedKeys(want) {
			l := want[id]
			p := want[l.extends()]
			if p == nil || p.hash() == l.parentHash || r.rebuildTried[id] == p.hash() || r.rebuilding[id] == p.hash() {
				continue
			}
			r.rebuilding[id] = p.hash()
			jobs = append(jobs, &rebuild{id: id, parentHash: p.hash(), old: l})
		}
		r.mu.Unlock()
		if len(jobs) == 0 {
			return
		}
		for _, j := range jobs {
			if ctx.Err() != nil {
				break
			}
			if r.buildHook != nil {
				r.buildHook(j.old.path)
			}
			j.l, j.results, j.err = build(ctx, j.old.path, j.old.data, want)
		}
		r.mu.Lock()
		for _, j := range jobs {
			if r.rebuilding[j.id] == j.parentHash {
				delete(r.rebuilding, j.id)
			}
		}
		if ctx.Err() == nil {
			r.applyRebuildsLocked(jobs)
		}
		r.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// applyRebuildsLocked records the rebuilds that are still current: the
// rule set and its parent's version are what they were when it was built.
func (r *Registry) applyRebuildsLocked(jobs []*rebuild) {
	now := time.Now()
	want, _ := r.wantLocked()
	for _, j := range jobs {
		l := want[j.id]
		if l != j.old || want[l.extends()] == nil || want[l.extends()].hash() != j.parentHash {
			continue // changed meanwhile: planned again
		}
		if j.err != nil {
			r.rebuildTried[j.id] = j.parentHash
			r.rebuildErrs[j.id] = FileError{Path: l.path, At: now, Diagnostics: diagnostics(l.path, j.err), FailedTests: failedTests(j.results)}
			r.log.Error("rule set does not pass on the new version of the rule set it extends; its last good version stays active",
				"id", j.id, "path", l.path, "extends", l.extends(), "parent_hash", jixiao.ShortHash(j.parentHash), "err", j.err.Error())
			continue
		}
		nl := j.l
		nl.source, nl.path, nl.who, nl.loadedAt = l.source, l.path, l.who, now
		delete(r.rebuildErrs, j.id)
		delete(r.rebuildTried, j.id)
		if r.builtins[j.id] == l {
			r.builtins[j.id] = nl
		}
		for _, f := range r.files {
			if f.good == l {
				f.good = nl
			}
		}
	}
}

func (r *Registry) callActivate(v jixiao.RuleSetVersion) (err error) {
	if r.onActivate == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("OnActivate panicked", "id", v.RuleSetID, "hash", jixiao.ShortHash(v.Hash), "panic", p)
			err = fmt.Errorf("recording the version failed: %v", p)
		}
	}()
	return r.onActivate(v)
}

func (r *Registry) callAdopt(v jixiao.RuleSetVersion) {
	if r.onAdopt == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("OnAdopt panicked", "id", v.RuleSetID, "panic", p)
		}
	}()
	r.onAdopt(v)
}

func (r *Registry) callReload(id string, ok bool) {
	if r.onReload == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("OnReload panicked", "id", id, "panic", p)
		}
	}()
	r.onReload(id, ok)
}

// publishLocked makes snap the current snapshot, together with the
// status of every id computed from it and the files.
func (r *Registry) publishLocked(snap *Snapshot) {
	byID := map[string]*Status{}
	get := func(id string) *Status {
		s := byID[id]
		if s == nil {
			s = &Status{ID: id}
			if at, ok := r.lastAttempts[id]; ok {
				s.LastAttempt = &at
			}
			byID[id] = s
		}
		return s
	}
	for id, e := range snap.sets {
		s := get(id)
		ref := e.l.rs.Ref()
		at := e.activatedAt
		s.Active, s.Name, s.Source, s.Path, s.LoadedBy, s.ActivatedAt = &ref, e.l.rs.File().Name.Value, e.l.source, e.l.path, e.l.who, &at
	}
	for _, id := range sortedKeys(r.rebuildErrs) {
		s := get(id)
		s.Errors = append(s.Errors, r.rebuildErrs[id])
	}
	for _, id := range sortedKeys(r.activateErrs) {
		s := get(id)
		s.Errors = append(s.Errors, r.activateErrs[id])
	}
	var unknown []Status
	for _, path := range sortedKeys(r.files) {
		f := r.files[path]
		if !f.rejected() {
			continue
		}
		fe := FileError{Path: path, At: f.attempt}
		if f.err != nil {
			fe.Diagnostics, fe.FailedTests = diagnostics(path, f.err), slices.Clone(f.failed)
		} else {
			fe.Diagnostics = diagnostics(path, f.dupErr)
		}
		ids := []string{}
		if f.err != nil && f.id != "" {
			ids = append(ids, f.id)
		}
		if f.good != nil && !slices.Contains(ids, f.good.id()) {
			ids = append(ids, f.good.id())
		}
		if len(ids) == 0 {
			at := f.attempt
			unknown = append(unknown, Status{Path: path, LastAttempt: &at, Errors: []FileError{fe}})
		}
		for _, id := range ids {
			s := get(id)
			s.Errors = append(s.Errors, fe)
		}
	}
	if r.dirErr != nil {
		at := r.dirErrAt
		unknown = append(unknown, Status{Path: r.dir, LastAttempt: &at, Errors: []FileError{{
			Path: r.dir, At: at, Diagnostics: []rules.Diagnostic{{File: r.dir, Message: r.dirErr.Error()}},
		}}})
	}
	out := make([]Status, 0, len(byID)+len(unknown))
	for _, id := range sortedKeys(byID) {
		out = append(out, *byID[id])
	}
	out = append(out, unknown...)
	r.published.Store(&published{snap: snap, status: out})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
