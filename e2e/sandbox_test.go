package e2e

import (
	"bufio"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hello-cli/hello/e2e/internal/harness"
)

func TestSandboxProcess(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cmd := exec.Command(helloBin, "sandbox", "--addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0", "--ephemeral")
	cmd.Env = cleanEnv(home)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &harness.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	sc := bufio.NewScanner(stdout)
	var lines []string
	for len(lines) < 2 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "HELLO_ISSUER=http://127.0.0.1:") || !strings.HasPrefix(lines[1], "HELLO_API_URL=http://127.0.0.1:") {
		t.Fatalf("sandbox stdout = %q; stderr:\n%s", lines, stderr)
	}
	issuer := strings.TrimPrefix(lines[0], "HELLO_ISSUER=")
	api := strings.TrimPrefix(lines[1], "HELLO_API_URL=")
	var disc map[string]any
	getJSON(t, issuer+"/.well-known/openid-configuration", &disc)
	if disc["issuer"] != issuer {
		t.Errorf("discovery issuer = %v, want %s", disc["issuer"], issuer)
	}
	if body := do(t, newRequest(t, api+"/api/messages/public"), 200); !strings.Contains(body, "public message") {
		t.Errorf("public message = %s", body)
	}
	// The help for humans follows the two lines, on stderr.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "alice@example.com") && time.Now().Before(deadline) {
		select {
		case <-stderr.Changed():
		case <-time.After(time.Second):
		}
	}
	if !strings.Contains(stderr.String(), "alice@example.com") {
		t.Errorf("stderr has no help for humans:\n%s", stderr)
	}
	_ = cmd.Process.Signal(syscallSIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sandbox exit after SIGTERM: %v\n%s", err, stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("sandbox did not stop after SIGTERM")
	}
	if sc.Scan() {
		t.Errorf("sandbox printed more on stdout: %q", sc.Text())
	}
}

func TestSandboxPortBusy(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	u := newUser(t, nil)
	r := u.run("sandbox", "--ephemeral", "--addr", ln.Addr().String(), "--api-addr", "127.0.0.1:0")
	if r.Code == 0 || !strings.Contains(r.Stderr, ln.Addr().String()) || !strings.Contains(r.Stderr, "--addr") || r.Stdout != "" {
		t.Fatalf("sandbox on a busy port: exit %d\nstdout %q\nstderr %s", r.Code, r.Stdout, r.Stderr)
	}
}

func TestSandboxStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	sb := startSandbox(t, "--state-dir", state)
	u := newUser(t, sb)
	bg := u.start("signup", "--no-browser", "--port", "0")
	c := browserClient(t)
	pageURL, page := fetch(t, c, bg.WaitStderr(t, loginURL))
	f := parseForm(t, page, "email")
	f.Values.Set("name", "Dana Persisted")
	f.Values.Set("email", "dana@example.com")
	f.Values.Set("password", "dana-password-1")
	submit(t, c, pageURL, f)
	if r := bg.Wait(t); r.Code != 0 {
		t.Fatalf("signup: exit %d\n%s", r.Code, r.Stderr)
	}
	var keys1, keys2 struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	getJSON(t, sb.Issuer+"/keys", &keys1)
	sb.stop(t)

	// Same state directory: the signed-up user and the signing key survive.
	sb2 := startSandbox(t, "--state-dir", state)
	getJSON(t, sb2.Issuer+"/keys", &keys2)
	if len(keys1.Keys) == 0 || len(keys2.Keys) == 0 || keys1.Keys[0].Kid != keys2.Keys[0].Kid {
		t.Errorf("signing keys before and after restart: %v, %v", keys1, keys2)
	}
	fresh := newUser(t, sb2)
	fresh.login("dana@example.com", "dana-password-1")
	if got := fresh.mustRun("messages", "protected").Stdout; !strings.Contains(got, "protected") {
		t.Errorf("dana's message after restart = %q", got)
	}
}
