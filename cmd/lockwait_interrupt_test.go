package cmd

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	"github.com/hello-cli/hello/internal/interrupt"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

// TestCtrlCWhileWaitingForTheCacheLock: a renewal, login or logout waits
// for the cache lock while another hello holds it (a slow refresh holds
// it for up to RenewTimeout). Ctrl-C or SIGTERM during that wait is an
// interruption like any other: 130 or 143 and "interrupted", not the
// lock's failure code 1.
func TestCtrlCWhileWaitingForTheCacheLock(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		st := tokencache.New(t.TempDir())
		k := tokencache.Key{Issuer: "https://op.example.com/", ClientID: "hello-cli"}
		// Another process's renewal holds the lock.
		unlock, err := st.Lock(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancelCause(t.Context())
		cancel(&interrupt.SignalError{Signal: tt.sig})
		s := &session.Session{Store: st, Key: k}
		_, err = s.Save(ctx, &token.Token{AccessToken: "at"}, "a@example.com")
		_ = unlock()
		if err == nil {
			t.Fatalf("%v: Save got the lock another holds", tt.sig)
		}
		if got := exitCode(ctx, err); got != tt.want {
			t.Errorf("%v while waiting for the lock: exit %d, want %d (%v)", tt.sig, got, tt.want, err)
		}
		if got := message(ctx, err); got != "interrupted" {
			t.Errorf("%v while waiting for the lock: message %q, want \"interrupted\"", tt.sig, got)
		}
	}
}

// TestCtrlCWhileTheNewIDTokenIsVerified: `hello token --id-token` renews
// an expired ID token; Ctrl-C while the provider's keys are fetched drops
// the new ID token unverified. That is an interruption (130), not a
// verification failure that sends the person to "hello login" (4).
func TestCtrlCWhileTheNewIDTokenIsVerified(t *testing.T) {
	t.Parallel()
	sig := &interrupt.SignalError{Signal: syscall.SIGINT}
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(sig)
	bad := fmt.Errorf("the provider's signing keys could not be reached (Get: %w)", sig)
	err := expiredIDTokenError(ctx, &token.Token{IDTokenRejected: bad})
	if got := exitCode(ctx, err); got != 130 {
		t.Errorf("exit %d, want 130 (%v)", got, err)
	}
	if got := message(ctx, err); got != "interrupted" {
		t.Errorf("message %q, want \"interrupted\"", got)
	}
}
