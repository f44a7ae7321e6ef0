package registry

import (
	"context"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"jixiao"
)

// sharedDB stands for the database instances share: the version of each
// rule set activated last on any of them.
type sharedDB struct {
	mu     sync.Mutex
	active map[string]jixiao.RuleSetVersion
}

func (db *sharedDB) activate(v jixiao.RuleSetVersion) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.active[v.RuleSetID] = v
	return nil
}

func (db *sharedDB) versions(context.Context) ([]jixiao.RuleSetVersion, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	var out []jixiao.RuleSetVersion
	for _, v := range db.active {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RuleSetID < out[j].RuleSetID })
	return out, nil
}

// instance is a registry of one instance of the shared database, with
// its own rules directory.
func (db *sharedDB) instance(t *testing.T, dir string, adopted *[]string) *Registry {
	t.Helper()
	r, err := New(Options{Dir: dir, PollInterval: -1, Logger: slog.New(slog.DiscardHandler),
		OnActivate: db.activate, Shared: db.versions,
		OnAdopt: func(v jixiao.RuleSetVersion) { *adopted = append(*adopted, v.RuleSetID+"@"+v.Hash) }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// An activation on one instance becomes active on the others at their
// next Sync, without being recorded again; a broken edit is active
// nowhere; of two instances, the one that activates last wins on both;
// and an instance started later takes the shared versions over its own
// older files.
func TestSharedActivations(t *testing.T) {
	ctx := context.Background()
	db := &sharedDB{active: map[string]jixiao.RuleSetVersion{}}
	dirA, dirB := t.TempDir(), t.TempDir()
	var adoptedA, adoptedB []string
	a, b := db.instance(t, dirA, &adoptedA), db.instance(t, dirB, &adoptedB)
	// Adoptions of the national set (its variants follow it, rebuilt
	// where it changed and adopted with it).
	mof := func(adopted []string) (n int) {
		for _, a := range adopted {
			if strings.HasPrefix(a, mofID+"@") {
				n++
			}
		}
		return n
	}
	hash := func(r *Registry, id string) string {
		rs, _ := r.Snapshot().Get(id)
		return rs.Ref().Hash
	}

	// A file edited on A.
	v2 := withVersion(t, builtinData(t, mofID), "2024.2")
	if _, err := a.Put(ctx, mofID, v2, "a-admin"); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if hash(b, mofID) != hashOf(v2) || mof(adoptedB) != 1 || len(adoptedA) != 0 || hash(b, "hubei-self") != hash(a, "hubei-self") {
		t.Fatalf("after A's upload: B has %s (adopted %v), want %s", jixiao.ShortHash(hash(b, mofID)), adoptedB, jixiao.ShortHash(hashOf(v2)))
	}
	// Syncing again, or A syncing its own activation, changes nothing.
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if mof(adoptedB) != 1 || len(adoptedA) != 0 {
		t.Errorf("adopted again: A %v, B %v", adoptedA, adoptedB)
	}

	// A broken upload on A is refused and changes nothing anywhere.
	if _, err := a.Put(ctx, mofID, replace(t, v2, "W * min(R, 100) / 100", "W * min(RR, 100) / 100"), "a-admin"); err == nil {
		t.Fatal("a broken upload was accepted")
	}
	b.Sync(ctx)
	if hash(a, mofID) != hashOf(v2) || hash(b, mofID) != hashOf(v2) {
		t.Error("a broken upload changed the active version")
	}

	// B activates another version after A's: both end on B's.
	v3 := withVersion(t, builtinData(t, mofID), "2024.3")
	if _, err := b.Put(ctx, mofID, v3, "b-admin"); err != nil {
		t.Fatal(err)
	}
	a.Sync(ctx)
	b.Sync(ctx)
	// hubei-self, which extends it, is built on it again on B and taken
	// from B by A.
	if h := hash(b, "hubei-self"); h == hash(a, "hubei-self") && h != "" {
		rs, _ := b.Snapshot().Get("hubei-self")
		if !strings.Contains(string(rs.File().Body), "2024.3") {
			t.Errorf("hubei-self on B is not built on 2024.3:\n%.300s", rs.File().Body)
		}
	} else {
		t.Errorf("hubei-self: A %s, B %s", jixiao.ShortHash(hash(a, "hubei-self")), jixiao.ShortHash(h))
	}
	if hash(a, mofID) != hashOf(v3) || hash(b, mofID) != hashOf(v3) {
		t.Fatalf("after B's upload: A %s, B %s, want %s on both", jixiao.ShortHash(hash(a, mofID)), jixiao.ShortHash(hash(b, mofID)), jixiao.ShortHash(hashOf(v3)))
	}

	// A third instance whose directory holds the older file from A takes
	// the shared version.
	dirC := t.TempDir()
	writeFile(t, filepath.Join(dirC, mofID+".yaml"), v2)
	var adoptedC []string
	c := db.instance(t, dirC, &adoptedC)
	if hash(c, mofID) != hashOf(v3) || mof(adoptedC) != 1 {
		t.Errorf("a new instance has %s (adopted %v), want the shared %s", jixiao.ShortHash(hash(c, mofID)), adoptedC, jixiao.ShortHash(hashOf(v3)))
	}
	// Its own file, edited, is an activation for all.
	v4 := withVersion(t, builtinData(t, mofID), "2024.4")
	writeFile(t, filepath.Join(dirC, mofID+".yaml"), v4)
	if err := c.rescan(ctx); err != nil {
		t.Fatal(err)
	}
	a.Sync(ctx)
	if hash(c, mofID) != hashOf(v4) || hash(a, mofID) != hashOf(v4) {
		t.Errorf("after C's edit: C %s, A %s, want %s", jixiao.ShortHash(hash(c, mofID)), jixiao.ShortHash(hash(a, mofID)), jixiao.ShortHash(hashOf(v4)))
	}
}

// A Sync while an upload is being checked here does not bring back the
// version the database still holds: the upload, about to be activated,
// wins, and so do the variants rebuilt on it.
func TestSyncDuringUpload(t *testing.T) {
	ctx := context.Background()
	db := &sharedDB{active: map[string]jixiao.RuleSetVersion{}}
	var adopted []string
	var synced sync.Once
	var r *Registry
	var err error
	r, err = New(Options{Dir: t.TempDir(), PollInterval: -1, Logger: slog.New(slog.DiscardHandler),
		OnActivate: db.activate, Shared: db.versions,
		OnAdopt: func(v jixiao.RuleSetVersion) { adopted = append(adopted, v.RuleSetID) },
		buildHook: func(path string) {
			// The upload's file is written and its variants are being
			// rebuilt: another instance's notification comes in.
			if path == "builtin/hubei-self.yaml" {
				synced.Do(func() {
					if err := r.Sync(ctx); err != nil {
						t.Error(err)
					}
				})
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	v2 := withVersion(t, builtinData(t, mofID), "2024.2")
	if _, err := r.Put(ctx, mofID, v2, "admin"); err != nil {
		t.Fatal(err)
	}
	rs, _ := r.Snapshot().Get(mofID)
	hubei, _ := r.Snapshot().Get("hubei-self")
	if rs.Ref().Hash != hashOf(v2) || !strings.Contains(string(hubei.File().Body), "2024.2") || len(adopted) != 0 {
		t.Errorf("after the upload: %s active, hubei-self on %.200s…, adopted %v; want the upload", jixiao.ShortHash(rs.Ref().Hash), hubei.File().Body, adopted)
	}
	if v := db.active[mofID]; v.Hash != hashOf(v2) {
		t.Errorf("the shared database holds %s, want the upload", jixiao.ShortHash(v.Hash))
	}
}

// A Sync that read the database before a version was activated here does
// not bring back, with what it read, the version that activation
// replaced (seen on PostgreSQL as a variant briefly back on the old
// version of its parent after an upload).
func TestSyncReadBeforeActivation(t *testing.T) {
	ctx := context.Background()
	db := &sharedDB{active: map[string]jixiao.RuleSetVersion{}}
	var adopted []string
	read, proceed := make(chan struct{}), make(chan struct{})
	var armed sync.Once
	arm := false
	r, err := New(Options{Dir: t.TempDir(), PollInterval: -1, Logger: slog.New(slog.DiscardHandler),
		OnActivate: db.activate,
		Shared: func(ctx context.Context) ([]jixiao.RuleSetVersion, error) {
			v, err := db.versions(ctx)
			if arm {
				armed.Do(func() { close(read); <-proceed }) // read now, answered after the upload
			}
			return v, err
		},
		OnAdopt: func(v jixiao.RuleSetVersion) { adopted = append(adopted, v.RuleSetID) }})
	if err != nil {
		t.Fatal(err)
	}
	arm = true
	synced := make(chan error, 1)
	go func() { synced <- r.Sync(ctx) }()
	<-read
	v2 := withVersion(t, builtinData(t, mofID), "2024.2")
	if _, err := r.Put(ctx, mofID, v2, "admin"); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	rs, _ := r.Snapshot().Get(mofID)
	hubei, _ := r.Snapshot().Get("hubei-self")
	if rs.Ref().Hash != hashOf(v2) || !strings.Contains(string(hubei.File().Body), "2024.2") || len(adopted) != 0 {
		t.Errorf("after a Sync that read before the upload: %s active, hubei-self on %.120s…, adopted %v; want the upload",
			jixiao.ShortHash(rs.Ref().Hash), hubei.File().Body, adopted)
	}
}
