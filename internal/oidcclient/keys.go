package oidcclient

import (
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/hello-cli/hello/internal/httperr"
)

// keySet is the provider's signing keys, fetched once per process through
// the configured client so that a failure is an *httperr.Error. A hello
// process lives seconds; a key rotated during that time is not worth a
// refetch.
type keySet struct {
	hc  *http.Client
	url string
	now func() time.Time

	mu     sync.Mutex
	static *oidc.StaticKeySet
}

func (k *keySet) load(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.static != nil {
		return nil
	}
	body, err := getJSON(ctx, k.hc, httperr.JWKS, k.url, k.now)
	if err != nil {
		return err
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return fmt.Errorf("the provider's signing keys at %s are not valid JSON (%v)", k.url, err)
	}
	var pubs []crypto.PublicKey
	for _, r := range raw.Keys {
		// A key of a kind go-jose does not know is skipped, not fatal: the
		// set may hold keys for other uses.
		var jwk jose.JSONWebKey
		if jwk.UnmarshalJSON(r) != nil || !jwk.IsPublic() || (jwk.Use != "" && jwk.Use != "sig") {
			continue
		}
		pubs = append(pubs, jwk.Key)
	}
	if len(pubs) == 0 {
		return fmt.Errorf("the provider's key set at %s holds no signing key", k.url)
	}
	k.static = &oidc.StaticKeySet{PublicKeys: pubs}
	return nil
}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	if err := k.load(ctx); err != nil {
		return nil, err
	}
	return k.static.VerifySignature(ctx, jwt)
}
