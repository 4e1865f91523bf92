// Package seal encrypts short secrets, such as the tokens of a cached
// session, with AES-256-GCM under a 32-byte key, and binds each ciphertext
// to the context it belongs to (additional data), so that a sealed value
// copied into another entry or another field no longer opens.
//
// A sealed value is text, so it can stand where the plain value stood in a
// JSON file:
//
//	hello-sealed:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>
//
// The prefix contains ':', which RFC 6750 bearer tokens never do, so a
// sealed value can never be mistaken for a token and the other way round;
// this lets plain entries written before sealing keep working.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the key length in bytes: AES-256.
const KeySize = 32

// prefix starts every sealed value; v1 is AES-256-GCM with a random 96-bit
// nonce, the key id and the additional data as below.
const prefix = "hello-sealed:v1:"

var (
	// ErrNotSealed is returned by Open for a value without the sealed prefix.
	ErrNotSealed = errors.New("value is not sealed")
	// ErrWrongKey means the value was sealed under another key than the one given.
	ErrWrongKey = errors.New("value was sealed with another key")
	// ErrTampered means the value does not authenticate under the key and
	// additional data: edited, truncated, or moved from another context.
	ErrTampered = errors.New("sealed value does not authenticate")
)

// Key is an AES-256 key.
type Key [KeySize]byte

// NewKey returns a fresh random key.
func NewKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// ID is a short public fingerprint of the key, written into each sealed
// value so that a key replaced in the keyring is told apart from a damaged
// value. Eight bytes of SHA-256 reveal nothing useful about a 256-bit key.
func (k Key) ID() string {
	sum := sha256.Sum256(append([]byte("hello seal key id\x00"), k[:]...))
	return hex.EncodeToString(sum[:8])
}

// String keeps the key out of logs and error messages by accident.
func (k Key) String() string { return "seal.Key(" + k.ID() + ")" }

// Encode is the key as text, for stores that keep strings (OS keyrings).
func (k Key) Encode() string { return base64.StdEncoding.EncodeToString(k[:]) }

// DecodeKey parses Encode's output.
func DecodeKey(s string) (Key, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != KeySize {
		return Key{}, fmt.Errorf("stored key is not %d bytes of base64", KeySize)
	}
	var k Key
	copy(k[:], b)
	return k, nil
}

// Prefix is how every value sealed with k begins, for finding them in files.
func Prefix(k Key) string { return prefix + k.ID() + ":" }

// IsSealed reports whether s is a sealed value (of any key).
func IsSealed(s string) bool { return strings.HasPrefix(s, prefix) }

// Seal encrypts plaintext under k, bound to ad. An empty plaintext stays
// empty: an absent token is not a secret, and sealing it would hide
// whether the field was set.
func Seal(k Key, plaintext string, ad []byte) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	aead, err := newAEAD(k)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	box := aead.Seal(nonce, nonce, []byte(plaintext), ad)
	return Prefix(k) + base64.RawURLEncoding.EncodeToString(box), nil
}

// Open decrypts a value made by Seal with the same key and additional data.
// An empty value opens to empty.
func Open(k Key, sealed string, ad []byte) (string, error) {
	if sealed == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", ErrNotSealed
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return "", ErrTampered
	}
	if id != k.ID() {
		return "", ErrWrongKey
	}
	box, err := base64.RawURLEncoding.Strict().DecodeString(b64)
	if err != nil {
		return "", ErrTampered
	}
	aead, err := newAEAD(k)
	if err != nil {
		return "", err
	}
	if len(box) < aead.NonceSize()+aead.Overhead() {
		return "", ErrTampered
	}
	nonce, ct := box[:aead.NonceSize()], box[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ct, ad)
	if err != nil {
		return "", ErrTampered
	}
	return string(plain), nil
}

func newAEAD(k Key) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return aead, nil
}
