package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/keystore"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/internal/webbrowser"
)

// memKeyring is an OS keyring double; err, when set, answers every call.
type memKeyring struct {
	mu    sync.Mutex
	items map[string]string
	err   error
	gets  int
}

func (m *memKeyring) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	if m.err != nil {
		return "", m.err
	}
	v, ok := m.items[service+"/"+user]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return v, nil
}

func (m *memKeyring) Set(service, user, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if m.items == nil {
		m.items = map[string]string{}
	}
	m.items[service+"/"+user] = secret
	return nil
}

func (m *memKeyring) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	delete(m.items, service+"/"+user)
	return nil
}

func (m *memKeyring) Name() string { return "Test Keyring" }

func (m *memKeyring) reads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gets
}

func (m *memKeyring) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

var storageKey = tokencache.Key{Issuer: "http://127.0.0.1:5055", ClientID: "hello-cli", Audience: "https://hello-world.example.com"}

func liveEntry() *tokencache.Entry {
	return &tokencache.Entry{User: "alice@example.com", Token: token.Token{AccessToken: jwt(`{"sub":"u1"}`), RefreshToken: "refresh-token-1234", Expiry: time.Now().Add(time.Hour), Grant: token.GrantAuthorizationCode}}
}

// sealEntry saves e sealed under a key in kr, as a hello with a keyring would.
func sealEntry(t *testing.T, dir string, kr keystore.Backend, e *tokencache.Entry) {
	t.Helper()
	sealEntryAt(t, dir, dir, kr, e)
}

// sealEntryAt is sealEntry for a profile's directory dir under base.
func sealEntryAt(t *testing.T, base, dir string, kr keystore.Backend, e *tokencache.Entry) {
	t.Helper()
	store := tokencache.New(dir)
	store.Codec = &keystore.Codec{Store: keystore.New(keystore.Config{Mode: keystore.Keyring, Dir: dir, MemoDir: base, Backend: kr}), Path: store.Path}
	if err := store.Save(storageKey, e); err != nil {
		t.Fatal(err)
	}
}

func statusJSON(t *testing.T, h *harness) Status {
	t.Helper()
	var st Status
	if err := json.Unmarshal(h.out.Bytes(), &st); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, h.out)
	}
	return st
}

func TestTokenStorageThroughTheFactory(t *testing.T) {
	t.Parallel()
	t.Run("sealed entry in the keyring", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		kr := &memKeyring{}
		h.f.Keyring = kr
		sealEntry(t, h.cacheDir, kr, liveEntry())
		if code := h.run("status", "-o", "json"); code != 0 {
			t.Fatalf("exit %d: %s", code, h.err)
		}
		st := statusJSON(t, h)
		if st.Storage == nil || *st.Storage != (Storage{Kind: "keyring", Keyring: "Test Keyring", Encrypted: true, Mode: "auto", Text: ""}) || h.err.Len() != 0 {
			t.Errorf("storage = %+v, stderr %q", st.Storage, h.err)
		}
	})
	t.Run("plain entry with a keyring is sealed at the next save", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.f.Keyring = &memKeyring{}
		h.saveEntry(t, storageKey.Issuer, liveEntry())
		h.env["HELLO_TOKEN_STORAGE"] = "keyring"
		if code := h.run("status"); code != 0 || !strings.Contains(h.out.String(), "file (unencrypted, mode 0600; encrypted at the next save)") {
			t.Errorf("exit %d\n%s%s", code, h.out, h.err)
		}
	})
	t.Run("keyring storage without a keyring fails", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.f.Keyring = &memKeyring{err: keystore.ErrNoBus}
		h.saveEntry(t, storageKey.Issuer, liveEntry())
		code := h.run("status", "--token-storage", "keyring")
		if code != 1 || !strings.Contains(h.err.String(), "no OS keyring reachable (no D-Bus session bus): --token-storage keyring does not fall back") || h.out.Len() != 0 {
			t.Errorf("exit %d, stdout %q, stderr %q", code, h.out, h.err)
		}
	})
	t.Run("sealed entry read with file storage", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		kr := &memKeyring{}
		sealEntry(t, h.cacheDir, kr, liveEntry())
		h.f.Keyring = &memKeyring{err: errors.New("file storage must not touch the keyring")}
		code := h.run("token", "--token-storage", "file")
		if code != 4 || strings.Count(h.err.String(), "--token-storage file does not read the keyring: use --token-storage auto (or keyring)") != 1 || h.out.Len() != 0 {
			t.Errorf("exit %d, stdout %q, stderr %q", code, h.out, h.err)
		}
	})
	t.Run("auto without a bus says so once", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t) // the system keyring, in an environment with no bus
		h.saveEntry(t, storageKey.Issuer, liveEntry())
		if code := h.run("status", "-o", "json"); code != 0 {
			t.Fatalf("exit %d: %s", code, h.err)
		}
		if strings.Count(h.err.String(), "no OS keyring reachable (no D-Bus session bus): tokens are stored unencrypted in ") != 1 {
			t.Errorf("stderr = %q, want one notice", h.err)
		}
		if st := statusJSON(t, h); st.Storage == nil || st.Storage.Kind != "file" || st.Storage.Fallback != "no D-Bus session bus" {
			t.Errorf("storage = %+v", st.Storage)
		}
	})
	t.Run("bad value", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if code := h.run("status", "--token-storage", "vault"); code != 2 || !strings.Contains(h.err.String(), `"auto", "keyring" or "file"`) {
			t.Errorf("exit %d, stderr %q", code, h.err)
		}
	})
}

func TestStatusRunStorageText(t *testing.T) {
	t.Parallel()
	sealedErr := &session.CorruptError{Err: &tokencache.CorruptError{Path: "/c/x.json", Err: &keystore.SealedError{Backend: "Secret Service", Cause: keystore.ErrKeyMissing}}}
	for _, tc := range []struct {
		name     string
		where    keystore.Where
		loadErr  error
		want     string
		wantCode int
	}{
		{name: "keyring", where: keystore.Where{Sealed: true, Location: keystore.Location{Keyring: true, Backend: "macOS Keychain"}}, want: "Stored in:     keyring (macOS Keychain)\n"},
		{name: "fallback", where: keystore.Where{Location: keystore.Location{Fallback: "no D-Bus session bus"}}, want: "Stored in:     file (unencrypted, mode 0600)\n"},
		{name: "key lost", where: keystore.Where{Sealed: true}, loadErr: sealedErr, want: "Not logged in", wantCode: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, out, _ := iostreams.Test()
			o := &StatusOptions{IO: io, Now: time.Now, Issuer: "https://op/", ClientID: "hello-cli", CachePath: "/c/x.json",
				Load:    func() (*tokencache.Entry, error) { return liveEntry(), tc.loadErr },
				Storage: func() (keystore.Where, string, bool) { return tc.where, "auto", true }}
			err := statusRun(t.Context(), o)
			if got := exitCode(t.Context(), err); got != tc.wantCode || !strings.Contains(out.String(), tc.want) {
				t.Errorf("exit %d (%v), stdout:\n%s\nwant %d and %q", got, err, out, tc.wantCode, tc.want)
			}
			if tc.loadErr != nil && !strings.Contains(tc.loadErr.Error(), `no longer in the Secret Service: run "hello login"`) {
				t.Errorf("a lost key reads %q", tc.loadErr)
			}
		})
	}
}

func TestLogoutRunForgetsTheKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		removed bool
		err     error
		want    string
	}{
		{name: "last session", removed: true, want: "Removed the token key from the Secret Service"},
		{name: "other sessions use it", want: "Removed the cached session. Logged out alice@example.com.\n"},
		{name: "keyring fails", err: errors.New("bus gone"), want: "warning: the token key could not be removed from the Secret Service (bus gone)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, _, errOut := iostreams.Test()
			var order []string
			o := LogoutOptions{Local: true, IO: io, Browser: &webbrowser.Recorder{}, CanOpenBrowser: func() bool { return false }, Keyring: "Secret Service",
				Load: func() (*tokencache.Entry, error) { return liveEntry(), nil },
				Delete: func(context.Context) (*tokencache.Entry, error) {
					order = append(order, "delete")
					return liveEntry(), nil
				},
				ForgetKey: func(context.Context) (bool, error) {
					order = append(order, "forget")
					return tc.removed, tc.err
				}}
			if err := logoutRun(t.Context(), &o); err != nil {
				t.Fatal(err)
			}
			if strings.Join(order, ",") != "delete,forget" || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("order %v, stderr %q; want delete then forget, and %q", order, errOut, tc.want)
			}
			if !tc.removed && strings.Contains(errOut.String(), "Removed the token key") {
				t.Errorf("claimed to remove a key: %q", errOut)
			}
		})
	}
}
