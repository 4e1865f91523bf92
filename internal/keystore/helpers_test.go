package keystore

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

func TestMain(m *testing.M) {
	// go-keyring's in-memory keyring replaces the OS keyring for the whole
	// package: no test touches the developer's real keyring.
	gokeyring.MockInit()
	os.Exit(m.Run())
}

// mockMu guards go-keyring's mock, whose map is not safe for concurrent
// use, so that tests can run in parallel; each test uses its own cache
// directory and so its own keyring item.
var mockMu sync.Mutex

// mockKeyring is go-keyring's mock behind the Backend interface, counting
// calls.
type mockKeyring struct {
	mu    sync.Mutex
	calls map[string]int
}

func newMock() *mockKeyring { return &mockKeyring{calls: map[string]int{}} }

func (m *mockKeyring) count(op string) {
	m.mu.Lock()
	m.calls[op]++
	m.mu.Unlock()
}

func (m *mockKeyring) n(op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[op]
}

func (m *mockKeyring) Get(service, user string) (string, error) {
	m.count("get")
	mockMu.Lock()
	defer mockMu.Unlock()
	return gokeyring.Get(service, user)
}

func (m *mockKeyring) Set(service, user, secret string) error {
	m.count("set")
	mockMu.Lock()
	defer mockMu.Unlock()
	return gokeyring.Set(service, user, secret)
}

func (m *mockKeyring) Delete(service, user string) error {
	m.count("delete")
	mockMu.Lock()
	defer mockMu.Unlock()
	return gokeyring.Delete(service, user)
}

// brokenKeyring answers every call with err, like a machine with no
// Secret Service; untouchable fails the test on any call at all.
type brokenKeyring struct {
	t     *testing.T
	err   error
	mu    sync.Mutex
	calls int
}

func (b *brokenKeyring) call() error {
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	if b.err == nil {
		b.t.Error("the keyring was called")
		return errors.New("untouchable keyring called")
	}
	return b.err
}

func (b *brokenKeyring) n() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

func (b *brokenKeyring) Get(string, string) (string, error) { return "", b.call() }
func (b *brokenKeyring) Set(string, string, string) error   { return b.call() }
func (b *brokenKeyring) Delete(string, string) error        { return b.call() }

func untouchable(t *testing.T) *brokenKeyring { return &brokenKeyring{t: t} }

// hungKeyring never answers, like a bus socket that accepts and is silent.
type hungKeyring struct {
	release chan struct{}
	entered chan struct{}
}

func newHung(t *testing.T) *hungKeyring {
	h := &hungKeyring{release: make(chan struct{}), entered: make(chan struct{}, 16)}
	t.Cleanup(func() { close(h.release) })
	return h
}

func (h *hungKeyring) wait() error {
	h.entered <- struct{}{}
	<-h.release
	return errors.New("released")
}

func (h *hungKeyring) Get(string, string) (string, error) { return "", h.wait() }
func (h *hungKeyring) Set(string, string, string) error   { return h.wait() }
func (h *hungKeyring) Delete(string, string) error        { return h.wait() }

// fakeClock fires After channels only when the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	armed  chan time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), armed: make(chan time.Duration, 64)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	select {
	case c.armed <- d:
	default:
	}
	return ch
}

// Advance moves the clock and fires the timers now due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// env is a fixed environment.
type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// config is a Config for one test's own cache directory.
func config(t *testing.T, mode Mode, b Backend) (Config, *bytes.Buffer) {
	t.Helper()
	var notices bytes.Buffer
	return Config{
		Mode:        mode,
		Dir:         t.TempDir(),
		Backend:     b,
		BackendName: "Secret Service",
		Clock:       newClock(),
		Getenv:      env{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"}.lookup,
		Notices:     &notices,
	}, &notices
}
