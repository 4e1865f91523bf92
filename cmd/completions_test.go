package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/iostreams"
)

// completionRun runs hello with args in an empty environment and returns
// its stdout. It fails the test unless the exit code is 0.
func completionRun(t *testing.T, args ...string) []byte {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	home := t.TempDir()
	f := &Factory{
		IO: io,
		Config: config.Loader{
			Getenv:     func(string) (string, bool) { return "", false },
			WorkDir:    t.TempDir(),
			ConfigHome: filepath.Join(home, "config"),
		},
		Now:            time.Now,
		CacheDir:       func() (string, error) { return filepath.Join(home, "cache"), nil },
		CanOpenBrowser: func() bool { return false },
	}
	if code := ExecuteArgs(t.Context(), f, args); code != 0 {
		t.Fatalf("hello %s: exit code %d, stderr:\n%s", strings.Join(args, " "), code, errOut)
	}
	return out.Bytes()
}

// TestCompletionScriptsCommitted fails when completions/ no longer matches
// what "hello completion <shell>" prints.
func TestCompletionScriptsCommitted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ shell, file string }{
		{"bash", "hello.bash"},
		{"zsh", "hello.zsh"},
		{"fish", "hello.fish"},
		{"powershell", "hello.powershell.ps1"},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			t.Parallel()
			got := completionRun(t, "completion", tc.shell)
			if len(got) == 0 {
				// Cobra's completion command captures the root's output when
				// InitDefaultCompletionCmd runs: the root must have its streams
				// set before that, or the script goes to os.Stdout.
				t.Fatalf("hello completion %s printed nothing on the Factory's IO.Out", tc.shell)
			}
			want, err := os.ReadFile(filepath.Join("..", "completions", tc.file))
			if err != nil {
				t.Fatalf("completions/%s is stale: run \"make completions\" (%v)", tc.file, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("completions/%s is stale: run \"make completions\" (first difference on line %d)",
					tc.file, firstDiffLine(got, want))
			}
		})
	}
}

// TestCompletionValues checks what the shells are offered, through Cobra's
// hidden __complete command that every completion script calls.
func TestCompletionValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"messages kinds", []string{"__complete", "messages", ""}, []string{"public", "protected", "admin"}},
		{"messages kinds prefix", []string{"__complete", "messages", "p"}, []string{"public", "protected"}},
		{"output short flag", []string{"__complete", "messages", "public", "-o", ""}, []string{"text", "json"}},
		{"output long flag", []string{"__complete", "messages", "public", "--output", ""}, []string{"text", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := completionValues(completionRun(t, tc.args...))
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("hello %s: offers %q, want %q among them", strings.Join(tc.args, " "), got, w)
				}
			}
		})
	}
}

// completionValues parses __complete output: one "value[\tdescription]" per
// line, then ":<directive>".
func completionValues(out []byte) []string {
	var values []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || strings.HasPrefix(line, ":") {
			continue
		}
		value, _, _ := strings.Cut(line, "\t")
		values = append(values, value)
	}
	return values
}

// firstDiffLine returns the 1-based number of the first line where a and b differ.
func firstDiffLine(a, b []byte) int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}
