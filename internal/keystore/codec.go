package keystore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/hello-cli/hello/internal/seal"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

// Codec is the token cache's codec with sealing: the access, refresh and
// ID tokens are sealed when the keyring is in use, the rest of the token
// (expiry, scopes, grant) stays readable. It reads plain entries too, so
// an entry written before the keyring was used keeps working and is
// sealed at its next save.
type Codec struct {
	Store *Store
	// Path names an entry's file in messages; usually the cache's Store.Path.
	Path func(tokencache.Key) string

	mu    sync.Mutex
	where map[tokencache.Key]Where
}

// Where says how an entry is kept on disk.
type Where struct {
	// Sealed is true when the entry's tokens are encrypted under the key
	// in the keyring.
	Sealed bool
	// Location is where this process keeps tokens it saves.
	Location Location
}

// String is for `hello status`: "keyring (Secret Service)" (the tokens are
// encrypted in the cache file, their key is in the keyring), or the plain
// file, with a note when the next save will seal it.
func (w Where) String() string {
	switch {
	case w.Sealed:
		return "keyring (" + w.Location.Backend + ")"
	case w.Location.Keyring:
		return "file (unencrypted, mode 0600; encrypted at the next save)"
	}
	return "file (unencrypted, mode 0600)"
}

var _ tokencache.Codec = (*Codec)(nil)

func (c *Codec) entry(k tokencache.Key) Entry {
	e := Entry{Issuer: k.Issuer, ClientID: k.ClientID, Audience: k.Audience}
	if c.Path != nil {
		e.Path = c.Path(k)
	}
	return e
}

func tokenFields(t *token.Token) []Field {
	return []Field{{"access_token", &t.AccessToken}, {"refresh_token", &t.RefreshToken}, {"id_token", &t.IDToken}}
}

// Encode implements tokencache.Codec. Keyring calls are bounded by the
// Store, so the background context cannot make it hang.
func (c *Codec) Encode(k tokencache.Key, t token.Token) (json.RawMessage, error) {
	loc, err := c.Store.Seal(context.Background(), c.entry(k), tokenFields(&t)...)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	c.remember(k, Where{Sealed: loc.Keyring, Location: loc})
	return raw, nil
}

// Decode implements tokencache.Codec. A sealed entry that cannot be opened
// here fails with a *SealedError, which says why and what to do.
func (c *Codec) Decode(k tokencache.Key, raw json.RawMessage) (token.Token, error) {
	var t token.Token
	if err := json.Unmarshal(raw, &t); err != nil {
		return token.Token{}, fmt.Errorf("invalid token fields: %w", err)
	}
	sealed := seal.IsSealed(t.AccessToken) || seal.IsSealed(t.RefreshToken) || seal.IsSealed(t.IDToken)
	loc, err := c.Store.Open(context.Background(), c.entry(k), tokenFields(&t)...)
	c.remember(k, Where{Sealed: sealed, Location: loc})
	if err != nil {
		return token.Token{}, err
	}
	return t, nil
}

func (c *Codec) remember(k tokencache.Key, w Where) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.where == nil {
		c.where = map[tokencache.Key]Where{}
	}
	c.where[k] = w
}

// Where reports how k's entry was kept when this process last read or
// wrote it; ok is false when it did neither.
func (c *Codec) Where(k tokencache.Key) (w Where, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok = c.where[k]
	return w, ok
}
