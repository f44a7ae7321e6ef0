package passwords

import (
	"context"
	"strings"
	"testing"
)

// fast are small parameters, so that the tests run quickly; the format
// and the checks are the same.
var fast = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := New(fast, 2)
	enc, err := h.Hash(ctx, "正确的密码 horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(enc, "horse") {
		t.Fatalf("hash %q", enc)
	}
	again, _ := h.Hash(ctx, "正确的密码 horse")
	if again == enc {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		name, encoded, password string
		want                    bool
	}{
		{"right", enc, "正确的密码 horse", true},
		{"wrong", enc, "正确的密码 horsf", false},
		{"empty", enc, "", false},
		{"unknown user", "", "正确的密码 horse", false},
		{"unknown user, empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, tt.encoded, tt.password)
			if err != nil || ok != tt.want {
				t.Errorf("Verify = %v, %v; want %v", ok, err, tt.want)
			}
		})
	}
	// Made with other parameters: still verified, and due for a rehash.
	strong := New(Params{Memory: 128, Time: 2, Threads: 1}, 1)
	if ok, err := strong.Verify(ctx, enc, "正确的密码 horse"); !ok || err != nil {
		t.Errorf("other parameters: %v, %v", ok, err)
	}
	if !strong.NeedsRehash(enc) || h.NeedsRehash(enc) {
		t.Error("NeedsRehash")
	}
}

func TestVerifyRefusesMalformed(t *testing.T) {
	h := New(fast, 1)
	for _, enc := range []string{
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // memory bomb
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if ok, err := h.Verify(context.Background(), enc, "x"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want an error", enc, ok, err)
		}
	}
}

func TestCheck(t *testing.T) {
	for pw, want := range map[string]error{
		"1234567":                ErrTooShort,
		"12345678":               nil,
		"密码密码密码密码":               nil, // characters, not bytes
		strings.Repeat("a", 129): ErrTooLong,
	} {
		if got := Check(pw); got != want {
			t.Errorf("Check(%q) = %v, want %v", pw, got, want)
		}
	}
}

func TestLimitHonoursContext(t *testing.T) {
	h := New(fast, 1)
	h.sem <- struct{}{} // the only slot taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "whatever-long"); err == nil {
		t.Error("Hash waited past a cancelled context")
	}
}

func FuzzVerify(f *testing.F) {
	h := New(fast, 1)
	enc, _ := h.Hash(context.Background(), "seed-password")
	f.Add(enc, "seed-password")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, encoded, password string) {
		if encoded == "" {
			return // the dummy hash: covered above
		}
		ok, err := h.Verify(context.Background(), encoded, password)
		if ok && err != nil {
			t.Fatal("ok with an error")
		}
	})
}

func TestTemporary(t *testing.T) {
	h := New(fast, 1)
	seen := map[string]bool{}
	for range 20 {
		pw, hash, err := h.Temporary(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != 16 || strings.ContainsAny(pw, "0O1lIio") || seen[pw] {
			t.Errorf("temporary password %q", pw)
		}
		seen[pw] = true
		if ok, err := h.Verify(context.Background(), hash, pw); !ok || err != nil {
			t.Errorf("its hash does not verify: %v", err)
		}
	}
}
