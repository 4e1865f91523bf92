package shield

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestHoldOutlivesTheCancellationButNotTheDeadline(t *testing.T) {
	t.Parallel()
	parent, cancel := context.WithCancel(t.Context())
	held, release := Hold(parent)
	defer release()
	cancel()
	if held.Err() != nil || !Holding(held) {
		t.Fatalf("held: Err %v, Holding %v; want alive and holding", held.Err(), Holding(held))
	}
	after := Resume(held)
	if !errors.Is(after.Err(), context.Canceled) || Holding(held) {
		t.Errorf("resumed: Err %v, Holding %v; want the cancellation, and no longer holding", after.Err(), Holding(held))
	}

	d := time.Now().Add(time.Hour)
	bounded, stop := context.WithDeadline(t.Context(), d)
	defer stop()
	held, release = Hold(bounded)
	defer release()
	if got, ok := held.Deadline(); !ok || !got.Equal(d) {
		t.Errorf("held deadline %v (%v), want the parent's %v", got, ok, d)
	}
}

func TestResumeLeavesAnyOtherContext(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	if Resume(ctx) != ctx || Holding(ctx) {
		t.Error("a context that is no hold changed")
	}
}
