package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "entry.json")
	if err := os.WriteFile(path, []byte("old content that is longer"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("read back %q, %v; want %q", got, err, "new")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	assertOnlyFile(t, filepath.Dir(path), "entry.json")
}

func TestCommitOverReservedSpaceTruncates(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "entry.json")
	p, err := Prepare(path, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit([]byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != `{"a":1}` {
		t.Fatalf("read back %q, %v", got, err)
	}
	p.Abort() // after Commit: a no-op, must not remove the target
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Abort after Commit removed the file: %v", err)
	}
}

func TestAbortLeavesTargetAndNoTemp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "entry.json")
	if err := os.WriteFile(path, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	p.Abort()
	p.Abort()
	if err := p.Commit([]byte("x")); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	got, _ := os.ReadFile(path)
	if string(got) != "keep" {
		t.Fatalf("target changed to %q", got)
	}
	assertOnlyFile(t, dir, "entry.json")
}

func TestPrepareFailsInReadOnlyDirectory(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("directory permissions are not POSIX")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	probe := filepath.Join(dir, "probe")
	if f, err := os.Create(probe); err == nil {
		// root ignores directory permissions; nothing to test then.
		_ = f.Close()
		_ = os.Remove(probe)
		t.Skip("running with privileges that ignore directory permissions")
	}
	if _, err := Prepare(filepath.Join(dir, "entry.json"), 10); err == nil {
		t.Fatal("Prepare in a read-only directory succeeded")
	}
}

func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != name {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only %s", names, name)
	}
}
