package oidcclient

import (
	"context"
	"errors"
	"testing"

	"github.com/hello-cli/hello/internal/shield"
)

// TestRefreshResumesTheHoldOnceAnswered: a refresh sent under a hold
// (shield.Hold) whose parent was cancelled while the request was out gets
// its answer; the ID token's verification that follows runs on the parent
// again, so a key fetch does not keep a stopped hello waiting. The new ID
// token is dropped (not verified), the rotated tokens stand.
func TestRefreshResumesTheHoldOnceAnswered(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.idTokenOnRefresh = true
	op.rotate = true
	op.addRefreshToken("rt-1")
	c := newClient(t, op)
	parent, cancel := context.WithCancel(t.Context())
	held, release := shield.Hold(parent)
	defer release()
	cancel() // as a signal would, while the request is out
	tok, err := c.Refresh(held, "rt-1")
	if err != nil {
		t.Fatalf("Refresh under a hold: %v; want the answer", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.RefreshToken == "rt-1" {
		t.Errorf("rotated tokens lost: %+v", tok)
	}
	if shield.Holding(held) {
		t.Error("the hold was not resumed once the answer came")
	}
	if tok.IDToken != "" || !errors.Is(tok.IDTokenRejected, context.Canceled) {
		t.Errorf("ID token %q, rejected %v; want it dropped because the parent was cancelled", tok.IDToken, tok.IDTokenRejected)
	}
}
