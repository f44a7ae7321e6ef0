package jixiao

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"time"
)

// apiKeyPrefix marks jixiao keys so that they are recognisable in logs
// and secret scanners.
const apiKeyPrefix = "jx_"

// NewAPIKey makes a random key for role. The secret is returned once and
// only its SHA-256 is kept.
func NewAPIKey(name, role string, now time.Time) (secret string, key APIKey) {
	var b [20]byte
	_, _ = rand.Read(b[:])
	secret = apiKeyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	return secret, APIKey{Name: name, Role: role, Prefix: secret[:8], Hash: HashSecret(secret), CreatedAt: now.UTC()}
}

// HashSecret returns the stored form of a secret, an API key or a
// session's token: hex SHA-256.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
