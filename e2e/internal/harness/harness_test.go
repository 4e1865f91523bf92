package harness

import (
	"os/exec"
	"slices"
	"testing"
)

func TestBufferChangedClosesOnNextWrite(t *testing.T) {
	t.Parallel()
	var b Buffer
	changed := b.Changed()
	select {
	case <-changed:
		t.Fatal("changed before any write")
	default:
	}
	if _, err := b.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("a write did not close the channel")
	}
	if got := b.String(); got != "hi" {
		t.Fatalf("String() = %q, want %q", got, "hi")
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	if code, err := ExitCode(nil); code != 0 || err != nil {
		t.Fatalf("ExitCode(nil) = %d, %v", code, err)
	}
	runErr := exec.Command("sh", "-c", "exit 3").Run()
	if code, err := ExitCode(runErr); code != 3 || err != nil {
		t.Fatalf("ExitCode(exit 3) = %d, %v", code, err)
	}
	startErr := exec.Command("/nonexistent/program").Run()
	if _, err := ExitCode(startErr); err == nil {
		t.Fatal("a program that could not start gave no error")
	}
}

func TestCleanEnvKeepsOnlyItsOwnVariables(t *testing.T) {
	t.Setenv("HELLO_ISSUER", "https://leak.example")
	env := CleanEnv("/home/u")
	if !slices.Contains(env, "HOME=/home/u") {
		t.Fatalf("no HOME in %v", env)
	}
	for _, kv := range env {
		if kv == "HELLO_ISSUER=https://leak.example" {
			t.Fatalf("the developer's HELLO_ISSUER leaked: %v", env)
		}
	}
}

// TestMustRun: CI=false and friends skip like an unset CI; any other value,
// as CI services set it, makes a missing program a failure.
func TestMustRun(t *testing.T) {
	t.Parallel()
	for ci, want := range map[string]bool{
		"": false, "false": false, "0": false, "no": false, "FALSE": false,
		"true": true, "1": true, "yes": true, "github-actions": true,
	} {
		if got := MustRun(ci); got != want {
			t.Errorf("CI=%q: must run = %v, want %v", ci, got, want)
		}
	}
}
