package cmd

import (
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// runOpts executes cmd (built with a runF that records its options) under
// the root command, so inherited flags parse as in the real binary.
func runOpts(t *testing.T, h *harness, cmd *cobra.Command, args ...string) {
	t.Helper()
	root := NewCmdRoot(h.f)
	root.RemoveCommand(findCmd(root, cmd.Name()))
	root.AddCommand(cmd)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("hello %v: %v", args, err)
	}
}

func TestCommandOptions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	var m *MessagesOptions
	runOpts(t, h, NewCmdMessages(h.f, func(o *MessagesOptions) error { m = o; return nil }), "messages", "admin")
	if m.Kind != "admin" {
		t.Errorf("messages kind = %q", m.Kind)
	}

	var tok *TokenOptions
	runOpts(t, h, NewCmdToken(h.f, func(o *TokenOptions) error { tok = o; return nil }), "token", "--id-token")
	if !tok.IDToken {
		t.Error("token --id-token not set")
	}

	var lo *LogoutOptions
	runOpts(t, h, NewCmdLogout(h.f, func(o *LogoutOptions) error { lo = o; return nil }), "logout", "--local", "--port", "4041", "--wait", "10s")
	if !lo.Local || lo.Port != 4041 || lo.Wait != 10*time.Second {
		t.Errorf("logout options = %+v", lo)
	}

	var sb *SandboxOptions
	runOpts(t, h, NewCmdSandbox(h.f, func(o *SandboxOptions) error { sb = o; return nil }),
		"sandbox", "--addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0", "--ephemeral", "--token-ttl", "30s")
	if sb.Addr != "127.0.0.1:0" || sb.APIAddr != "127.0.0.1:0" || !sb.Ephemeral || sb.TokenTTL != 30*time.Second || sb.Issuer != "" {
		t.Errorf("sandbox options = %+v", sb)
	}

	runOpts(t, h, NewCmdSandbox(h.f, func(o *SandboxOptions) error { sb = o; return nil }),
		"sandbox", "--domain", "example.eu.auth0.com", "--audience", "https://hello-world.example.com")
	if sb.Issuer != "https://example.eu.auth0.com/" || sb.Audience != "https://hello-world.example.com" {
		t.Errorf("API-only sandbox options = %+v", sb)
	}
}

func TestSandboxIgnoresConfiguredIssuer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// A configured provider must not silently turn the sandbox into an
	// API-only server: only the command line does that.
	h.env["HELLO_ISSUER"] = "https://login.example.com/"
	var sb *SandboxOptions
	runOpts(t, h, NewCmdSandbox(h.f, func(o *SandboxOptions) error { sb = o; return nil }), "sandbox")
	if sb.Issuer != "" {
		t.Errorf("sandbox picked up the configured issuer %q", sb.Issuer)
	}
}
