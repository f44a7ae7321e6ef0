package api

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"jixiao"
	"jixiao/storage"
)

// A lookup that read a key from the store before the key was revoked,
// and finishes after, does not make the cache remember the key.
func TestKeyCacheLookupAcrossRevocation(t *testing.T) {
	ctx := context.Background()
	store, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "jixiao.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	secret, key := jixiao.NewAPIKey("k", jixiao.RoleViewer, time.Now())
	if err := store.CreateAPIKey(ctx, &key); err != nil {
		t.Fatal(err)
	}

	read, resume := make(chan struct{}), make(chan struct{})
	held := true
	kc := newKeyCache(func(ctx context.Context, hash string) (*jixiao.APIKey, error) {
		k, err := store.FindAPIKeyByHash(ctx, hash)
		if held {
			held = false
			close(read)
			<-resume
		}
		return k, err
	}, time.Minute, 8)

	done := make(chan jixiao.APIKey)
	go func() {
		k, err := kc.find(ctx, secret)
		if err != nil {
			t.Error(err)
		}
		done <- k
	}()
	<-read
	if _, err := store.RevokeAPIKey(ctx, key.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	kc.forget()
	close(resume)
	if k := <-done; k.RevokedAt != nil {
		t.Errorf("the lookup begun before the revocation saw it: %+v", k)
	}
	k, err := kc.find(ctx, secret)
	if err != nil || k.RevokedAt == nil {
		t.Errorf("after the revocation: %+v, %v; want the revoked key", k, err)
	}
	if k, err := kc.find(ctx, "jx_unknown"); jixiao.ErrorCode(err) != jixiao.ENOTFOUND {
		t.Errorf("unknown key: %+v, %v", k, err)
	}
}

// The cache holds at most its size of keys; more keys are still found,
// from the store.
func TestKeyCacheSize(t *testing.T) {
	ctx := context.Background()
	store, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "jixiao.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	kc := newKeyCache(store.FindAPIKeyByHash, time.Minute, 3)
	for i := range 5 {
		secret, key := jixiao.NewAPIKey("k", jixiao.RoleViewer, time.Now())
		if err := store.CreateAPIKey(ctx, &key); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if k, err := kc.find(ctx, secret); err != nil || k.ID != key.ID {
				t.Errorf("key %d: %+v, %v", i, k, err)
			}
		}
	}
	if n := len(kc.entries); n != 3 {
		t.Errorf("%d keys remembered, want 3", n)
	}
}
