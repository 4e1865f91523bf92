package keystore

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

var cacheKey = tokencache.Key{Issuer: "http://127.0.0.1:5055", ClientID: "hello-cli", Audience: "https://hello-world.example.com"}

func sealingStore(cfg Config) (*tokencache.Store, *Codec) {
	store := tokencache.New(cfg.Dir)
	c := &Codec{Store: New(cfg), Path: store.Path}
	store.Codec = c
	return store, c
}

func TestCodecKeepsNoTokenInClear(t *testing.T) {
	t.Parallel()
	cfg, _ := config(t, Auto, newMock())
	store, c := sealingStore(cfg)
	tok := token.Token{AccessToken: plain.access, RefreshToken: plain.refresh, IDToken: plain.id, Expiry: time.Now().Add(time.Hour).UTC().Round(time.Second), Scopes: []string{"openid"}, Grant: token.GrantAuthorizationCode}
	if err := store.Save(cacheKey, &tokencache.Entry{Token: tok, User: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(store.Path(cacheKey))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{plain.access, plain.refresh, plain.id} {
		if strings.Contains(string(data), secret) {
			t.Fatalf("the cache file holds %q in clear:\n%s", secret, data)
		}
	}
	if !strings.Contains(string(data), `"grant": "authorization_code"`) {
		t.Errorf("what is not secret should stay readable:\n%s", data)
	}
	if w, ok := c.Where(cacheKey); !ok || !w.Sealed || w.String() != "keyring (Secret Service)" {
		t.Errorf("Where after save = %+v, %v", w, ok)
	}

	// Another process reads it back whole.
	other, c2 := sealingStore(cfg)
	e, err := other.Load(cacheKey)
	if err != nil || e.Token.AccessToken != tok.AccessToken || e.Token.RefreshToken != tok.RefreshToken || e.Token.IDToken != tok.IDToken || !e.Token.Expiry.Equal(tok.Expiry) {
		t.Fatalf("Load = %+v, %v", e, err)
	}
	if w, _ := c2.Where(cacheKey); !w.Sealed {
		t.Error("Where after load does not say sealed")
	}

	// Copied to another key's file, it does not open (and is not used).
	otherKey := cacheKey
	otherKey.Audience = "https://other.example.com"
	if err := os.WriteFile(other.Path(otherKey), []byte(strings.Replace(string(data), cacheKey.Audience, otherKey.Audience, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Load(otherKey); !errors.Is(err, tokencache.ErrCorrupt) || !errors.Is(err, ErrUnreadable) {
		t.Errorf("a sealed entry moved to another key loaded: %v", err)
	}
}

// keyringRefusingWrites answers reads (no key yet) but cannot store one.
type keyringRefusingWrites struct{ mockKeyring }

func (k *keyringRefusingWrites) Get(string, string) (string, error) { return "", gokeyring.ErrNotFound }
func (k *keyringRefusingWrites) Set(string, string, string) error {
	return errors.New("org.freedesktop.Secret.Error.IsLocked")
}

func TestPrepareFailsBeforeARefreshWhenTheKeyCannotBeStored(t *testing.T) {
	t.Parallel()
	cfg, _ := config(t, Keyring, &keyringRefusingWrites{})
	plainStore := tokencache.New(cfg.Dir)
	current := &tokencache.Entry{Token: token.Token{AccessToken: plain.access, RefreshToken: plain.refresh, Grant: token.GrantAuthorizationCode}}
	if err := plainStore.Save(cacheKey, current); err != nil {
		t.Fatal(err)
	}
	store, _ := sealingStore(cfg)
	e, err := store.Load(cacheKey)
	if err != nil {
		t.Fatalf("a plain entry must load with the keyring in use: %v", err)
	}
	// The session spends the refresh token only after Prepare succeeds.
	if _, err := store.Prepare(cacheKey, e); err == nil || !strings.Contains(err.Error(), "store the token key in the Secret Service") {
		t.Fatalf("Prepare = %v; want the key's failure, before anything is spent", err)
	}
	if e2, err := tokencache.New(cfg.Dir).Load(cacheKey); err != nil || e2.Token.RefreshToken != plain.refresh {
		t.Errorf("the entry changed: %+v, %v", e2, err)
	}
}

func TestAutoKeepsPlainFilesWhenTheKeyringWillNotStoreAKey(t *testing.T) {
	t.Parallel()
	cfg, notices := config(t, Auto, &keyringRefusingWrites{})
	store, c := sealingStore(cfg)
	tok := token.Token{AccessToken: plain.access, RefreshToken: plain.refresh, Grant: token.GrantAuthorizationCode}
	if err := store.Save(cacheKey, &tokencache.Entry{Token: tok}); err != nil {
		t.Fatalf("a login in auto mode failed because the keyring refused the key: %v", err)
	}
	if w, _ := c.Where(cacheKey); w.Sealed || !strings.Contains(w.Location.Fallback, "did not store the key") {
		t.Errorf("Where = %+v", w)
	}
	if strings.Count(notices.String(), "no OS keyring reachable (it did not store the key: ") != 1 {
		t.Errorf("notices = %q", notices)
	}
	if e, err := tokencache.New(cfg.Dir).Load(cacheKey); err != nil || e.Token.RefreshToken != plain.refresh {
		t.Errorf("plain entry = %+v, %v", e, err)
	}
}
