package registry

import (
	"context"
	"fmt"
	"time"

	"jixiao"
)

// Sync switches to the versions the shared database holds as active
// (Options.Shared) wherever they differ from what is active here: another
// instance activated them. Each is checked and tested as a file would be,
// without the lock; one that does not pass here is reported and not
// taken. Call it when another instance activates a version, and after
// the notifications of that could have been missed. It does nothing
// before Load has finished (Load takes the shared versions itself) or
// without Options.Shared.
func (r *Registry) Sync(ctx context.Context) error {
	if r.sharedFn == nil || !r.ready.Load() {
		return nil
	}
	r.syncing.Lock()
	defer r.syncing.Unlock()
	if err := r.adoptShared(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reconcileLocked(nil)
	return nil
}

// adoptShared reads the shared active versions and records, as shared,
// those that differ from what this instance would activate.
func (r *Registry) adoptShared(ctx context.Context) error {
	if r.sharedFn == nil {
		return nil
	}
	r.mu.Lock()
	activations := r.activations
	r.mu.Unlock()
	versions, err := r.sharedFn(ctx)
	if err != nil {
		return fmt.Errorf("reading the rule sets active in the shared database: %w", err)
	}
	r.mu.Lock()
	want, _ := r.wantLocked()
	r.mu.Unlock()
	type adoption struct {
		v jixiao.RuleSetVersion
		l *loaded
	}
	var adopt []adoption
	for _, v := range versions {
		if r.skipShared(v, want) {
			continue
		}
		rs, _, err := check(ctx, "shared/"+v.RuleSetID+".yaml", []byte(v.Body), nil)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && (rs.Ref().ID != v.RuleSetID || rs.Ref().Hash != v.Hash) {
			err = fmt.Errorf("it reads back as %s@%s", rs.Ref().ID, jixiao.ShortHash(rs.Ref().Hash))
		}
		if err != nil {
			r.log.Error("a rule-set version active on another instance does not load here; the version active here stays",
				"id", v.RuleSetID, "hash", jixiao.ShortHash(v.Hash), "err", err.Error())
			continue
		}
		adopt = append(adopt, adoption{v, &loaded{rs: rs, source: v.Source, path: v.Path, who: v.LoadedBy, loadedAt: time.Now(), adopted: true}})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.activations != activations {
		// A version was activated here while the database was read: what
		// was read may be older than it, and would bring back the version
		// it replaced. Its own notification brings another Sync.
		return nil
	}
	want, _ = r.wantLocked()
	for _, a := range adopt {
		if r.skipShared(a.v, want) {
			continue // active here meanwhile, or changed here
		}
		r.shared[a.v.RuleSetID] = a.l
	}
	return nil
}

// skipShared reports whether shared version v is not to be taken: this
// instance would activate it already, or it has a change of its own for
// the id that is checked but not yet active (an edit or upload, or a
// variant rebuilt on one). That change is about to be activated and so
// to become the shared version; the database still holds the one before
// it, which must not replace it. want is from wantLocked.
func (r *Registry) skipShared(v jixiao.RuleSetVersion, want map[string]*loaded) bool {
	cur := want[v.RuleSetID]
	if cur == nil {
		return false
	}
	if cur.hash() == v.Hash {
		return true
	}
	active, ok := r.Snapshot().sets[v.RuleSetID]
	return ok && active.l.hash() != cur.hash()
}

// unshareLocked lets this instance's own version of id, and of the rule
// sets here that extend it, come before the shared versions again: id
// was edited or uploaded here, and its variants are to be built on the
// new version, as for a single instance.
func (r *Registry) unshareLocked(id string) {
	delete(r.shared, id)
	local := func(x string) *loaded {
		for _, f := range r.files {
			if f.good != nil && f.good.id() == x {
				return f.good
			}
		}
		return r.builtins[x]
	}
	for x := range r.shared {
		if l := local(x); l != nil && l.extends() == id {
			r.unshareLocked(x)
		}
	}
}
