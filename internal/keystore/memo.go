package keystore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hello-cli/hello/internal/atomicfile"
)

// memoFile remembers, in the cache directory (the top one, shared by every
// profile: see Config.MemoDir), that auto mode's probe failed:
// machine state like the entries beside it, thrown away at no cost.
const memoFile = "keyring-unreachable"

type memo struct {
	// Env is a hash of the environment the probe ran in (see
	// envFingerprint): a memo made over SSH does not hold in a desktop
	// terminal.
	Env       string    `json:"env"`
	CheckedAt time.Time `json:"checked_at"`
	Reason    string    `json:"reason"`
}

func (s *Store) memoPath() string { return filepath.Join(s.cfg.MemoDir, memoFile) }

func (s *Store) envHash() string {
	sum := sha256.Sum256([]byte(envFingerprint(s.cfg.Getenv)))
	return hex.EncodeToString(sum[:16])
}

// readMemo returns the remembered reason when a failed probe made under
// this environment is younger than the TTL.
func (s *Store) readMemo() (string, bool) {
	if s.cfg.MemoDir == "" {
		return "", false
	}
	f, err := os.Open(s.memoPath())
	if err != nil {
		return "", false
	}
	defer f.Close()
	var m memo
	// A memo is a few hundred bytes; anything larger is not ours.
	if err := json.NewDecoder(io.LimitReader(f, 4096)).Decode(&m); err != nil {
		return "", false
	}
	now := s.cfg.Clock.Now()
	if m.Env != s.envHash() || m.Reason == "" || now.Sub(m.CheckedAt) >= s.cfg.MemoTTL || m.CheckedAt.After(now.Add(time.Minute)) {
		return "", false
	}
	return safeText(m.Reason, 160), true
}

// writeMemo is best effort: failing to remember costs one probe next time.
func (s *Store) writeMemo(reason string) {
	if s.cfg.MemoDir == "" {
		return
	}
	data, err := json.Marshal(memo{Env: s.envHash(), CheckedAt: s.cfg.Clock.Now().UTC(), Reason: reason})
	if err != nil {
		return
	}
	if err := os.MkdirAll(s.cfg.MemoDir, 0o700); err != nil {
		return
	}
	_ = atomicfile.Write(s.memoPath(), data)
}

func (s *Store) forgetMemo() {
	if s.cfg.MemoDir != "" {
		_ = os.Remove(s.memoPath())
	}
}
