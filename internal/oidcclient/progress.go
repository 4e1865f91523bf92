package oidcclient

import (
	"context"
	"fmt"
	"io"
	"time"
)

// DeviceProgress shows, while the device flow waits, how long the code has
// left: "Waiting for approval… (code expires in 9m58s)". On a terminal the
// line is rewritten in place once a second; elsewhere (a log file, CI) it is
// written once, since a line a second would only be noise.
type DeviceProgress struct {
	W        io.Writer
	Terminal bool
	Expiry   time.Time
	// Now and Tick are the clock; time.Now and a one-second ticker when nil.
	Now  func() time.Time
	Tick <-chan time.Time
}

// ProgressLine is the text shown at now.
func ProgressLine(now, expiry time.Time) string {
	left := max(expiry.Sub(now).Round(time.Second), 0)
	return fmt.Sprintf("Waiting for approval… (code expires in %s)", left)
}

// Run writes the line until ctx ends, then clears it, so what follows
// ("Logged in as …") starts on a clean line.
func (p DeviceProgress) Run(ctx context.Context) {
	if p.W == nil {
		return
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	if !p.Terminal {
		fmt.Fprintln(p.W, ProgressLine(now(), p.Expiry))
		return
	}
	tick := p.Tick
	if tick == nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	width := 0
	draw := func() {
		line := ProgressLine(now(), p.Expiry)
		// Pad over a longer previous line ("10m0s" becomes "9m59s").
		pad := max(width-len(line), 0)
		width = len(line)
		fmt.Fprintf(p.W, "\r%s%*s", line, pad, "")
	}
	draw()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintf(p.W, "\r%*s\r", width, "")
			return
		case <-tick:
			draw()
		}
	}
}
