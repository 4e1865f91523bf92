package store

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	keyFile = "signing-key.pem"
	keyBits = 2048
)

// signingKey is the provider's RS256 key. Its kid is the RFC 7638 thumbprint
// of the public key, so it is the same after a restart without being stored.
type signingKey struct {
	id      string
	private *rsa.PrivateKey
}

// op.SigningKey
func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.private }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is the JWKS view of signingKey (op.Key).
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return &p.k.private.PublicKey }

// loadOrCreateKey reads the PEM key from the state directory, or generates
// one (and saves it unless persist is nil). Creation happens under the
// directory's lock with a second look: two sandboxes starting together on
// one directory must end up with the same key.
func loadOrCreateKey(ctx context.Context, persist *stateDir) (*signingKey, error) {
	if persist == nil {
		priv, err := generateKey(ctx)
		if err != nil {
			return nil, err
		}
		return newSigningKey(priv)
	}
	priv, err := readKey(persist)
	if err != nil || priv != nil {
		return keyOrErr(priv, err)
	}
	err = persist.withLock(ctx, func() error {
		// Another process may have created it since the first look.
		if priv, err = readKey(persist); err != nil || priv != nil {
			return err
		}
		if priv, err = generateKey(ctx); err != nil {
			return err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return fmt.Errorf("encode key: %w", err)
		}
		return persist.write(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	})
	return keyOrErr(priv, err)
}

func keyOrErr(priv *rsa.PrivateKey, err error) (*signingKey, error) {
	if err != nil {
		return nil, err
	}
	return newSigningKey(priv)
}

// readKey returns the saved key, or nil and no error when there is none.
func readKey(persist *stateDir) (*rsa.PrivateKey, error) {
	data, err := persist.read(keyFile)
	if err != nil || data == nil {
		return nil, err
	}
	priv, err := parseKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", persist.file(keyFile), err)
	}
	return priv, nil
}

func generateKey(ctx context.Context) (*rsa.PrivateKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generate RSA key: %w", err)
	}
	priv, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("generate RSA key: %w", err)
	}
	return priv, nil
}

func parseKeyPEM(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse key: %w", err)
	}
	priv, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("want an RSA key, got %T", key)
	}
	if priv.N.BitLen() < keyBits {
		return nil, fmt.Errorf("RSA key has %d bits, want at least %d", priv.N.BitLen(), keyBits)
	}
	return priv, nil
}

func newSigningKey(priv *rsa.PrivateKey) (*signingKey, error) {
	jwk := jose.JSONWebKey{Key: &priv.PublicKey}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("key thumbprint: %w", err)
	}
	return &signingKey{id: base64.RawURLEncoding.EncodeToString(thumb), private: priv}, nil
}
