package webbrowser

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// machine is a fake machine: the files it has and the programs in its PATH.
type machine struct {
	files    map[string]string
	programs []string
	env      map[string]string
	goos     string
}

func (m machine) system(started *[][]string) System {
	goos := m.goos
	if goos == "" {
		goos = "linux"
	}
	return System{
		Stderr: &bytes.Buffer{},
		Getenv: func(k string) string { return m.env[k] },
		GOOS:   goos,
		ReadFile: func(name string) ([]byte, error) {
			if c, ok := m.files[name]; ok {
				return []byte(c), nil
			}
			return nil, fs.ErrNotExist
		},
		LookPath: func(name string) (string, error) {
			for _, p := range m.programs {
				if p == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", exec.ErrNotFound
		},
		Start: func(name string, args []string) error {
			*started = append(*started, append([]string{name}, args...))
			return nil
		},
	}
}

const (
	wsl2Kernel  = "5.15.167.4-microsoft-standard-WSL2\n"
	wsl1Kernel  = "4.4.0-19041-Microsoft\n"
	plainKernel = "6.12.48+deb13-amd64\n"
)

func TestIsWSL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    machine
		want bool
	}{
		{"interop entry", machine{files: map[string]string{wslInteropFile: "enabled\n", kernelReleaseFile: plainKernel}}, true},
		{"late interop entry", machine{files: map[string]string{wslInteropLateFile: "enabled\n"}}, true},
		{"WSL 2 kernel, interop off", machine{files: map[string]string{kernelReleaseFile: wsl2Kernel}}, true},
		{"WSL 1 kernel", machine{files: map[string]string{kernelReleaseFile: wsl1Kernel}}, true},
		{"plain Linux", machine{files: map[string]string{kernelReleaseFile: plainKernel}}, false},
		{"nothing readable", machine{}, false},
		{"not Linux", machine{goos: "darwin", files: map[string]string{wslInteropFile: ""}}, false},
	}
	for _, tt := range tests {
		var started [][]string
		if got := tt.m.system(&started).IsWSL(); got != tt.want {
			t.Errorf("%s: IsWSL = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestOpenOnWSL(t *testing.T) {
	t.Parallel()
	const url = "http://127.0.0.1:5055/authorize?client_id=hello-cli&state=a%2Fb&scope=openid+profile"
	wsl := map[string]string{wslInteropFile: "enabled\n", kernelReleaseFile: wsl2Kernel}
	tests := []struct {
		name string
		m    machine
		want [][]string
	}{
		{"wslview first", machine{files: wsl, programs: []string{"wslview", "cmd.exe", "xdg-open"}},
			[][]string{{"/usr/bin/wslview", url}}},
		{"cmd.exe start, escaped", machine{files: wsl, programs: []string{"cmd.exe"}},
			[][]string{{"/usr/bin/cmd.exe", "/c", "start", "http://127.0.0.1:5055/authorize?client_id=hello-cli^&state=a^%2Fb^&scope=openid+profile"}}},
		{"$BROWSER still first", machine{files: wsl, programs: []string{"wslview"}, env: map[string]string{"BROWSER": "/opt/firefox --new-tab %s"}},
			[][]string{{"/opt/firefox", "--new-tab", url}}},
	}
	for _, tt := range tests {
		var started [][]string
		if err := tt.m.system(&started).Open(url); err != nil {
			t.Fatalf("%s: Open: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, started); diff != "" {
			t.Errorf("%s: launched (-want +got):\n%s", tt.name, diff)
		}
	}

	var started [][]string
	err := machine{files: wsl}.system(&started).Open(url)
	if err == nil || !strings.Contains(err.Error(), "neither wslview nor cmd.exe") || len(started) != 0 {
		t.Errorf("no launcher: err %v, started %v", err, started)
	}
	m := machine{files: wsl, programs: []string{"wslview"}}
	s := m.system(&started)
	s.Start = func(string, []string) error { return errors.New("boom") }
	if err := s.Open(url); err == nil || !strings.Contains(err.Error(), "wslview") {
		t.Errorf("failing launcher: err %v", err)
	}
}

func TestCanOpenOnWSL(t *testing.T) {
	t.Parallel()
	wsl := map[string]string{kernelReleaseFile: wsl2Kernel}
	tests := []struct {
		name string
		m    machine
		want bool
	}{
		{"WSL without a Linux display", machine{files: wsl}, true},
		{"WSL over SSH", machine{files: wsl, env: map[string]string{"SSH_CONNECTION": "1 2 3 4"}}, false},
		{"plain Linux console", machine{files: map[string]string{kernelReleaseFile: plainKernel}}, false},
		{"plain Linux desktop", machine{env: map[string]string{"DISPLAY": ":0"}}, true},
	}
	for _, tt := range tests {
		var started [][]string
		if got := tt.m.system(&started).CanOpen(); got != tt.want {
			t.Errorf("%s: CanOpen = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestCmdEscapeSurvivesCmd checks the escaping against a POSIX model of
// cmd.exe's first parsing phase: a caret makes the next character literal.
func TestCmdEscapeSurvivesCmd(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"a&b|c<d>e", "100%x%", "(x)!^", `q"q`} {
		e := cmdEscape(s)
		var out strings.Builder
		for i := 0; i < len(e); i++ {
			if e[i] == '^' {
				i++
			} else if strings.IndexByte(`&|<>()%!"`, e[i]) >= 0 {
				t.Fatalf("%q: unescaped %q in %q", s, e[i], e)
			}
			out.WriteByte(e[i])
		}
		if out.String() != s {
			t.Errorf("cmdEscape(%q) = %q reads back as %q", s, e, out.String())
		}
	}
}

// TestRealWSLFiles runs the detector on this machine's real files: it must
// agree with the kernel release it can read itself.
func TestRealWSLFiles(t *testing.T) {
	t.Parallel()
	rel, err := os.ReadFile(kernelReleaseFile)
	if err != nil {
		t.Skip("no /proc")
	}
	_, interop := os.Stat(wslInteropFile)
	want := interop == nil || strings.Contains(strings.ToLower(string(rel)), "microsoft")
	if _, late := os.Stat(wslInteropLateFile); late == nil {
		want = true
	}
	if got := (System{}).IsWSL(); got != want {
		t.Errorf("IsWSL = %v on kernel %q", got, rel)
	}
}
