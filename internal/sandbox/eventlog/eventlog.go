// Package eventlog is the sandbox's log: one line per real event (a login,
// a sign-up, tokens issued, a reuse detected, a logout, a refusal), as text
// for people or JSON for machines, and repeated refusals folded into one
// line a minute so that a flood cannot flood the terminal too.
package eventlog

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Formats accepted by New.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// New returns a logger writing to w in format ("" is text) at level Info.
func New(w io.Writer, format string) (*slog.Logger, error) {
	h, err := NewHandler(w, format, slog.LevelInfo)
	if err != nil {
		return nil, err
	}
	return slog.New(h), nil
}

// NewHandler returns the handler of New at the given level.
func NewHandler(w io.Writer, format string, level slog.Level) (slog.Handler, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "", FormatText:
		return slog.NewTextHandler(w, opts), nil
	case FormatJSON:
		return slog.NewJSONHandler(w, opts), nil
	}
	return nil, fmt.Errorf("unknown log format %q: want %s or %s", format, FormatText, FormatJSON)
}

// Every is how often a repeated event is logged at most.
const Every = time.Minute

// Limiter folds repeated events: the first of a kind is logged, then at
// most one a minute, saying how many were left out. It holds one entry per
// kind; a kind may name who did it (a client and a user), never a client
// address. Past maxKinds it forgets kinds idle for a minute, or all of
// them: a forgotten kind is logged again as a first occurrence, one line
// too many rather than memory without bound.
type Limiter struct {
	mu    sync.Mutex
	kinds map[string]*kind
}

type kind struct {
	last    time.Time
	skipped int
}

// Allow reports whether to log an event of this kind now, and how many of
// its kind were not logged since the last one that was.
func (l *Limiter) Allow(kindName string, now time.Time) (skipped int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kinds == nil {
		l.kinds = map[string]*kind{}
	}
	k := l.kinds[kindName]
	if k == nil {
		if len(l.kinds) >= maxKinds {
			l.forgetIdle(now)
		}
		k = &kind{}
		l.kinds[kindName] = k
	}
	if !k.last.IsZero() && now.Sub(k.last) < Every {
		k.skipped++
		return 0, false
	}
	skipped, k.skipped, k.last = k.skipped, 0, now
	return skipped, true
}

// maxKinds bounds a Limiter's table.
const maxKinds = 4096

// forgetIdle drops the kinds not logged for a minute, or every kind when
// all are active. A sweep happens once per maxKinds new kinds at most, so
// it is amortised O(1).
func (l *Limiter) forgetIdle(now time.Time) {
	for name, k := range l.kinds {
		if now.Sub(k.last) >= Every {
			delete(l.kinds, name)
		}
	}
	if len(l.kinds) >= maxKinds/2 {
		clear(l.kinds)
	}
}
