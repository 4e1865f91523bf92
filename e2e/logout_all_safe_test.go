package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogoutAllPrintsCachedKeysSafely: `hello logout --all` names each
// cached session by its issuer and client ID, which come from a file that
// anything running as the user may have written. They reach stderr with
// their control characters made visible.
func TestLogoutAllPrintsCachedKeysSafely(t *testing.T) {
	t.Parallel()
	u := newUser(t, nil)
	issuer, client, audience := "http://127.0.0.1:9/\u009b2J", "cli\x1b[2J\a", "https://hello-world.example.com"
	entry, err := json.Marshal(map[string]any{
		"version": 2, "issuer": issuer, "client_id": client, "audience": audience,
		"saved_at": "2026-01-01T00:00:00Z",
		"token":    map[string]any{"access_token": "x", "token_type": "Bearer", "expiry": "2026-01-01T00:00:00Z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(issuer + "\x00" + client + "\x00" + audience))
	dir := u.cacheDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:16])+".json"), entry, 0o600); err != nil {
		t.Fatal(err)
	}
	r := u.run("logout", "--all")
	if !strings.Contains(r.Stderr, "cli^[[2J^G") {
		t.Fatalf("logout --all did not name the cached client (made visible); stderr:\n%s", r.Stderr)
	}
	for _, bad := range []string{"\x1b", "\a", "\u009b"} {
		if strings.Contains(r.Stderr+r.Stdout, bad) {
			t.Errorf("output holds control character %q:\nstdout: %q\nstderr: %q", bad, r.Stdout, r.Stderr)
		}
	}
}
