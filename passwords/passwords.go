// Package passwords hashes and checks people's passwords with argon2id
// (golang.org/x/crypto/argon2), in the PHC string format:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// The parameters are OWASP's recommendation for argon2id. Each hash
// takes 19 MiB, so at most a few are computed at once (Hasher.limit);
// more wait their turn.
package passwords

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's costs.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// Recommended are OWASP's parameters for argon2id: 19 MiB, 2 passes, 1 thread.
var Recommended = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MinLength and MaxLength bound a password, in characters.
	MinLength = 8
	MaxLength = 128
)

// Hasher hashes and checks passwords, at most limit at once.
type Hasher struct {
	params Params
	sem    chan struct{}
	dummy  string // a hash of nothing anyone knows, checked for unknown users
}

// New returns a Hasher with params computing at most limit hashes at once.
func New(params Params, limit int) *Hasher {
	h := &Hasher{params: params, sem: make(chan struct{}, max(limit, 1))}
	var secret [32]byte
	rand.Read(secret[:])
	h.dummy = h.hash(base64.RawStdEncoding.EncodeToString(secret[:]))
	return h
}

// ErrTooShort and ErrTooLong refuse a new password.
var (
	ErrTooShort = fmt.Errorf("密码至少 %d 个字符", MinLength)
	ErrTooLong  = fmt.Errorf("密码至多 %d 个字符", MaxLength)
)

// Check tells whether password may be set as a new password.
func Check(password string) error {
	switch n := utf8.RuneCountInString(password); {
	case n < MinLength:
		return ErrTooShort
	case n > MaxLength:
		return ErrTooLong
	}
	return nil
}

// Hash returns the PHC string of password with a new random salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.hash(password), nil
}

func (h *Hasher) hash(password string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.Memory, h.params.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.params.Memory, h.params.Time, h.params.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// Verify reports whether password matches encoded, a PHC string Hash made
// (with any parameters). An empty encoded (an unknown user) is checked
// against a hash nobody knows the password of, so that the answer takes
// as long as for a known one, and is false.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	known := encoded != ""
	if !known {
		encoded = h.dummy
	}
	p, salt, want, err := parse(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1 && known, nil
}

// Temporary makes a random password for a new user or a reset (16
// characters from an alphabet without look-alikes) and its hash.
func (h *Hasher) Temporary(ctx context.Context) (password, hash string, err error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	password = string(b)
	hash, err = h.Hash(ctx, password)
	return password, hash, err
}

// NeedsRehash reports whether encoded was made with other parameters than
// h's, so that it is replaced at the next successful login.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, _, _, err := parse(encoded)
	return err != nil || p != h.params
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

var errFormat = errors.New("passwords: not an argon2id PHC string")

func parse(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errFormat
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errFormat
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Memory > 1<<17 || p.Time == 0 || p.Time > 10 || p.Threads == 0 || p.Threads > 16 {
		return p, nil, nil, errFormat
	}
	if salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errFormat
	}
	if key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errFormat
	}
	return p, salt, key, nil
}
