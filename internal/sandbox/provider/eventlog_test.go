package provider

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/hello-cli/hello/internal/sandbox/eventlog"
)

// lockedBuffer is a bytes.Buffer for a log written by server goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// One line per real event, with who and what: the login, each token
// response by grant, the reuse that revoked a login, the logout; nothing
// for a device poll that is still pending.
func TestEventLogOneLinePerEvent(t *testing.T) {
	t.Parallel()
	var buf lockedBuffer
	log, err := eventlog.New(&buf, eventlog.FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	s := startIDP(t, func(c *Config) { c.Logger = log })
	conf := s.oauthConfig()
	tok, _ := newBrowser(t, s).loginTokens(conf, AliceEmail, AlicePassword)
	if _, err := refresh(t, conf, tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	_, _ = refresh(t, conf, tok.RefreshToken) // a reuse
	da, err := conf.DeviceAuth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		pollOnce(t, s, da.DeviceCode)
	}

	var got []string
	for _, l := range buf.lines(t) {
		got = append(got, l["msg"].(string)+" "+str(l["grant"])+" "+str(l["user"]))
	}
	want := []string{
		"user logged in  sandbox|alice",
		"tokens issued authorization code sandbox|alice",
		"tokens issued refresh sandbox|alice",
		"refresh token reuse detected; all tokens of that login revoked  sandbox|alice",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
