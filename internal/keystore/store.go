package keystore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/hello-cli/hello/internal/seal"
)

// DefaultMemoTTL is how long auto mode trusts a failed probe before it
// probes again. A headless box thus pays at most one bound an hour (not
// one per command) for a bus that hangs, while a keyring that appears
// later (a desktop session started, a daemon installed, a locked keyring
// whose unlock prompt outlasted the bound) is used within the hour without
// the user doing anything.
const DefaultMemoTTL = time.Hour

// service is the keyring item's service name; the account names the cache
// directory (see keyAccount).
const service = "hello"

// Config says how to reach the keyring and where the cache lives.
type Config struct {
	Mode Mode
	// Dir is the token cache directory. The key belongs to it (two cache
	// directories never share a key, so logging out of one cannot strand
	// the other), and the probe memo and the key lock are kept in it.
	Dir string
	// Backend is the keyring; nil means System{Getenv}.
	Backend Backend
	// BackendName names the keyring in status and messages; "" asks a
	// System backend, else "OS keyring".
	BackendName string
	// Timeout bounds each keyring call; zero means DefaultTimeout.
	Timeout time.Duration
	// MemoTTL is how long a failed probe is remembered; zero means DefaultMemoTTL.
	MemoTTL time.Duration
	Clock   Clock
	// Getenv looks up an environment variable; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Notices receives the one fallback notice; nil discards it.
	Notices io.Writer
	// MemoDir is where the failed probe is remembered; "" means Dir. Every
	// profile's Store names the same one: whether a keyring answers is a
	// matter of the machine and the environment, not of the profile.
	MemoDir string
	// Shared is what this Store shares with the others of the process, one
	// per cache directory; nil means a Shared of its own.
	Shared *Shared
}

// Shared is what the Stores of one process have in common, whichever cache
// directory each serves (each profile has its own): a keyring call that
// hung makes every later one fail at once, a failed probe is not made
// again for another directory, and the fallback notice is printed once.
// The zero value is ready to use.
type Shared struct {
	hung   atomic.Bool
	notice sync.Once

	mu     sync.Mutex
	failed string // why a live probe of this process failed; "" if none did
}

func (sh *Shared) probeFailed() (string, bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.failed, sh.failed != ""
}

func (sh *Shared) setProbeFailed(reason string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.failed = reason
}

// Store is one process's view of the keyring: the storage choice and the
// key are settled once and then kept, so the keyring is read once per
// process however many entries are sealed or opened.
type Store struct {
	cfg  Config
	kr   *bounded
	name string

	mu       sync.Mutex
	resolved bool
	fromMemo bool // resolved from a remembered failed probe, not a live one
	loc      Location
	locErr   error
	key      *seal.Key // nil until read or created
	keyErr   error     // why the key could not be read (ErrKeyMissing, ...)
}

// New returns a Store for cfg. It does not touch the keyring yet.
func New(cfg Config) *Store {
	if cfg.Mode == "" {
		cfg.Mode = Auto
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.LookupEnv
	}
	if cfg.Backend == nil {
		cfg.Backend = System{Getenv: cfg.Getenv, Dir: cfg.Dir}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MemoTTL <= 0 {
		cfg.MemoTTL = DefaultMemoTTL
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Notices == nil {
		cfg.Notices = io.Discard
	}
	if cfg.MemoDir == "" {
		cfg.MemoDir = cfg.Dir
	}
	if cfg.Shared == nil {
		cfg.Shared = &Shared{}
	}
	name := cfg.BackendName
	if named, ok := cfg.Backend.(interface{ Name() string }); ok && name == "" {
		name = named.Name()
	}
	if name == "" {
		name = "OS keyring"
	}
	return &Store{cfg: cfg, kr: &bounded{b: cfg.Backend, timeout: cfg.Timeout, clock: cfg.Clock, hung: &cfg.Shared.hung}, name: name}
}

// Backend names the keyring: "Secret Service", "macOS Keychain", ...
func (s *Store) Backend() string { return s.name }

// Mode is the configured choice.
func (s *Store) Mode() Mode { return s.cfg.Mode }

// Location is where this process keeps tokens.
type Location struct {
	// Keyring is true when token fields are sealed under a key in the keyring.
	Keyring bool
	// Backend names the keyring ("Secret Service", "macOS Keychain", ...),
	// also when it was not reachable.
	Backend string
	// Fallback is why auto mode keeps plain files ("" when it does not):
	// the keyring did not answer, there is no bus, ...
	Fallback string
}

// String is the location for humans: "keyring (Secret Service)" or
// "file (unencrypted, mode 0600)".
func (l Location) String() string {
	if l.Keyring {
		return "keyring (" + l.Backend + ")"
	}
	return "file (unencrypted, mode 0600)"
}

// UnavailableError means --token-storage keyring was asked for and no
// keyring answered. It is a failure (exit 1), never a fallback.
type UnavailableError struct {
	Backend string
	Reason  string
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("no OS keyring reachable (%s): --token-storage keyring does not fall back to a plain file; start the %s, or use --token-storage auto or file", e.Reason, e.Backend)
}

// Resolve settles, once per process, whether tokens go to the keyring.
// File mode never touches the keyring. Keyring mode probes and fails with
// *UnavailableError. Auto mode trusts a recent failed probe made under the
// same environment, else probes; on failure it remembers that and falls
// back to the file.
func (s *Store) Resolve(ctx context.Context) (Location, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resolveLocked(ctx)
}

func (s *Store) resolveLocked(ctx context.Context) (Location, error) {
	return s.resolveMemo(ctx, true)
}

// resolveMemo is resolveLocked; useMemo false ignores a remembered failed
// probe and asks the keyring now.
func (s *Store) resolveMemo(ctx context.Context, useMemo bool) (Location, error) {
	if s.resolved && (useMemo || !s.fromMemo) {
		return s.loc, s.locErr
	}
	loc := Location{Backend: s.name}
	switch s.cfg.Mode {
	case File:
		s.loc, s.resolved = loc, true
		return s.loc, nil
	case Auto:
		if reason, ok := s.readMemo(); ok && useMemo {
			loc.Fallback = reason
			s.loc, s.resolved, s.fromMemo = loc, true, true
			return s.loc, nil
		}
	}
	s.fromMemo = false
	// Another cache directory of this process (another profile) found no
	// keyring a moment ago: asking again would only cost another bound.
	reason, failed := s.cfg.Shared.probeFailed()
	if !failed {
		var err error
		reason, err = s.probe(ctx)
		if err != nil && ctx.Err() != nil {
			// Interrupted: nothing was learnt, so nothing is remembered.
			return loc, err
		}
		if reason != "" {
			s.cfg.Shared.setProbeFailed(reason)
		}
	}
	switch {
	case reason == "":
		loc.Keyring = true
		if s.cfg.Mode == Keyring || s.cfg.Mode == Auto {
			s.forgetMemo()
		}
	case s.cfg.Mode == Keyring:
		s.locErr = &UnavailableError{Backend: s.name, Reason: reason}
	case !failed:
		loc.Fallback = reason
		s.writeMemo(reason)
	default:
		loc.Fallback = reason // remembered by the Store that probed
	}
	s.loc, s.resolved = loc, true
	return s.loc, s.locErr
}

// probe reads the key: the one keyring call that both proves the keyring
// answers and fetches what the warm path needs, so probing costs nothing
// extra. It returns "" when the keyring answered, else why not.
func (s *Store) probe(ctx context.Context) (reason string, err error) {
	v, err := s.kr.get(ctx, service, s.keyAccount())
	switch {
	case err == nil:
		k, derr := seal.DecodeKey(v)
		if derr != nil {
			s.keyErr = fmt.Errorf("%w: %v", ErrKeyUnusable, derr)
		} else {
			s.key = &k
		}
		return "", nil
	case errors.Is(err, gokeyring.ErrNotFound):
		s.keyErr = ErrKeyMissing
		return "", nil
	}
	return describe(err, s.cfg.Timeout), err
}

// describe turns a keyring error into the short reason the notice shows.
func describe(err error, bound time.Duration) string {
	msg := err.Error()
	switch {
	case errors.Is(err, ErrTimeout):
		return fmt.Sprintf("the keyring did not answer within %s", bound)
	case errors.Is(err, ErrNoBus):
		return "no D-Bus session bus"
	case strings.Contains(msg, "org.freedesktop.secrets"), strings.Contains(msg, "ServiceUnknown"):
		return "no Secret Service on the session bus"
	case strings.Contains(msg, "unlock"), strings.Contains(msg, "IsLocked"):
		// go-keyring could not unlock it: no prompt can be shown here, or
		// the person dismissed it.
		return "the keyring is locked"
	}
	return safeText(msg, 120)
}

// safeText makes text from a keyring library fit for one line on a
// terminal: control characters become '?', and it is cut to max runes.
func safeText(s string, max int) string {
	r := []rune(s)
	if len(r) > max {
		r = append(r[:max-1], '…')
	}
	for i, c := range r {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			r[i] = '?'
		}
	}
	return string(r)
}

// Notice prints that auto mode keeps tokens in the plain file at path,
// once: in the process that chose the fallback (its probe failed, and the
// choice was remembered), not in the later ones that only follow the
// remembered choice. When it expires, or the environment changes, the
// next probe chooses anew and says so again. Callers call it whenever they
// read or write an entry in file mode; it says nothing unless auto mode
// fell back in this process.
func (s *Store) Notice(path string) {
	s.mu.Lock()
	loc, resolved, remembered := s.loc, s.resolved, s.fromMemo
	s.mu.Unlock()
	if !resolved || loc.Keyring || loc.Fallback == "" || remembered {
		return
	}
	s.cfg.Shared.notice.Do(func() {
		fmt.Fprintf(s.cfg.Notices, "no OS keyring reachable (%s): tokens are stored unencrypted in %s, mode 0600; set HELLO_TOKEN_STORAGE=file to silence this\n", loc.Fallback, path)
	})
}
