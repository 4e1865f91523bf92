package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// profileConfigs are the Configs of one process for a base cache directory
// and two profiles' directories under it, sharing one Shared, as the
// command line builds them.
func profileConfigs(t *testing.T, mode Mode, b Backend) (base string, cfgs []Config, notices *strings.Builder) {
	t.Helper()
	cfg, _ := config(t, mode, b)
	notices = &strings.Builder{}
	shared := &Shared{}
	base = cfg.Dir
	for _, dir := range []string{base, filepath.Join(base, "profiles", "a"), filepath.Join(base, "profiles", "b")} {
		c := cfg
		c.Dir, c.MemoDir, c.Shared, c.Notices = dir, base, shared, notices
		cfgs = append(cfgs, c)
	}
	return base, cfgs, notices
}

func TestOneProbeForEveryProfileOfAProcess(t *testing.T) {
	t.Parallel()
	noBus := &brokenKeyring{t: t, err: ErrNoBus}
	base, cfgs, notices := profileConfigs(t, Auto, noBus)
	for _, c := range cfgs {
		tk := plain
		if loc, err := New(c).Open(ctx, entryIn(c.Dir), tk.fields()...); err != nil || loc.Keyring || loc.Fallback != "no D-Bus session bus" {
			t.Fatalf("Open in %s = %+v, %v", c.Dir, loc, err)
		}
	}
	if noBus.n() != 1 {
		t.Errorf("%d probes for three profiles' directories, want 1", noBus.n())
	}
	if strings.Count(notices.String(), "no OS keyring reachable") != 1 {
		t.Errorf("notices = %q, want one", notices)
	}
	if _, err := os.Stat(filepath.Join(base, memoFile)); err != nil {
		t.Errorf("no memo in the base directory: %v", err)
	}
	for _, c := range cfgs[1:] {
		if _, err := os.Stat(filepath.Join(c.Dir, memoFile)); err == nil {
			t.Errorf("a memo of its own in %s", c.Dir)
		}
	}
	// The next process trusts the one memo for every profile.
	shared := &Shared{}
	for _, c := range cfgs {
		c.Shared = shared
		if loc, err := New(c).Resolve(ctx); err != nil || loc.Fallback != "no D-Bus session bus" {
			t.Fatalf("next process, %s: %+v, %v", c.Dir, loc, err)
		}
	}
	if noBus.n() != 1 {
		t.Errorf("the next process probed again: %d probes", noBus.n())
	}
}

func TestHungKeyringCostsOneBoundForEveryProfile(t *testing.T) {
	t.Parallel()
	hung := newHung(t)
	_, cfgs, _ := profileConfigs(t, Keyring, hung)
	clock := cfgs[0].Clock.(*fakeClock)
	// Every call that reaches the hung keyring gets its bound, so that a
	// regression fails here rather than hangs.
	var calls atomic.Int32
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-hung.entered:
				calls.Add(1)
				<-clock.armed
				clock.Advance(3 * time.Second)
			case <-stop:
				return
			}
		}
	}()
	for _, c := range cfgs {
		_, err := New(c).Resolve(ctx)
		var ue *UnavailableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "did not answer within 3s") {
			t.Fatalf("Resolve in %s = %v", c.Dir, err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the hung keyring was called %d times for three profiles' directories, want 1", n)
	}
}

func TestEachProfileDirectoryHasItsOwnKey(t *testing.T) {
	t.Parallel()
	mock := newMock()
	_, cfgs, notices := profileConfigs(t, Auto, mock)
	a, b := cfgs[1], cfgs[2]
	sa, sb := sealIn(t, a), sealIn(t, b)
	if sa.refresh == sb.refresh {
		t.Fatal("two profiles sealed alike")
	}
	if New(a).keyAccount() == New(b).keyAccount() {
		t.Fatal("two profiles' directories share a keyring item")
	}
	// A's sealed entry does not open in B's directory, under B's key.
	tk := sa
	if _, err := New(b).Open(ctx, entryIn(b.Dir), tk.fields()...); !errors.Is(err, ErrUnreadable) {
		t.Errorf("profile a's entry opened with profile b's key: %v", err)
	}
	// Logging out of a removes a's key only; b's session still opens.
	if err := os.Remove(entryIn(a.Dir).Path); err != nil {
		t.Fatal(err)
	}
	if removed, err := New(a).ForgetKeyIfUnused(ctx); !removed || err != nil {
		t.Fatalf("ForgetKeyIfUnused(a) = %v, %v", removed, err)
	}
	mockMu.Lock()
	_, errA := gokeyring.Get(service, New(a).keyAccount())
	_, errB := gokeyring.Get(service, New(b).keyAccount())
	mockMu.Unlock()
	if !errors.Is(errA, gokeyring.ErrNotFound) || errB != nil {
		t.Errorf("after logging out of a: a's key %v, b's key %v", errA, errB)
	}
	tk = sb
	if _, err := New(b).Open(ctx, entryIn(b.Dir), tk.fields()...); err != nil || tk != plain {
		t.Errorf("profile b after logging out of a: %v", err)
	}
	// The base directory (the default profile's) holds the profiles'
	// directories, whose files are none of its business: its key goes
	// with its own last session.
	base := cfgs[0]
	sealIn(t, base)
	if err := os.Remove(entryIn(base.Dir).Path); err != nil {
		t.Fatal(err)
	}
	if removed, err := New(base).ForgetKeyIfUnused(ctx); !removed || err != nil {
		t.Errorf("ForgetKeyIfUnused(default) with profile b still sealed below = %v, %v", removed, err)
	}
	if notices.Len() != 0 {
		t.Errorf("notices: %q", notices)
	}
}
