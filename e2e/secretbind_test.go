package e2e

import (
	"strings"
	"testing"
)

// TestFileSecretNeverGoesToAnotherIssuer: a profile's CLIENT_SECRET from the
// config file belongs to the issuer that profile names. With HELLO_ISSUER
// exported for another provider (as the sandbox prints it), hello must not
// send that secret there: it exits 2 with one sentence and the other
// provider issues nothing. HELLO_CLIENT_SECRET, set on purpose, is used.
func TestFileSecretNeverGoesToAnotherIssuer(t *testing.T) {
	t.Parallel()
	sbA, sbB := startSandbox(t), startSandbox(t)
	u := newUser(t, sbB) // HELLO_ISSUER and HELLO_API_URL point at sandbox B
	u.writeFile(".config", "[profile prod]\nISSUER="+sbA.Issuer+"\nCLIENT_ID=hello-ci\nCLIENT_SECRET=hello-ci-secret\n"+
		"API_SERVER_URL="+sbA.API+"\n")

	r := u.run("--profile", "prod", "login", "--client-credentials")
	if r.Code != 2 {
		t.Fatalf("exit %d, want 2; stderr: %s", r.Code, r.Stderr)
	}
	msg := strings.TrimSpace(r.Stderr)
	for _, want := range []string{"[profile prod]", ".config", "environment HELLO_ISSUER", sbB.Issuer, "HELLO_CLIENT_SECRET", "unset HELLO_ISSUER"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr %q does not name %q", msg, want)
		}
	}
	if strings.Count(msg, "\n") != 0 {
		t.Errorf("stderr is not one sentence on one line: %q", msg)
	}
	for name, sb := range map[string]*sandbox{"B (the other issuer)": sbB, "A": sbA} {
		g, _ := sb.stats(t)["grants"].(map[string]any)
		for grant, n := range g {
			if n != 0.0 {
				t.Errorf("sandbox %s issued %v %s tokens", name, n, grant)
			}
		}
	}
	// A command that needs no secret works as before: status says there
	// is no session (exit 4), not that the secret is withheld.
	if r := u.run("--profile", "prod", "status"); r.Code != 4 || strings.Contains(r.Stderr, "HELLO_CLIENT_SECRET") {
		t.Errorf("status: exit %d, stderr %q; want 4, not logged in", r.Code, r.Stderr)
	}

	// The user's explicit choice of secret for B is used.
	u.setenv("HELLO_CLIENT_SECRET", "hello-ci-secret")
	u.mustRun("--profile", "prod", "login", "--client-credentials")
	if n := sbB.grants(t, "client_credentials"); n != 1 {
		t.Errorf("sandbox B: %d client-credentials grants, want 1", n)
	}
	if n := sbA.grants(t, "client_credentials"); n != 0 {
		t.Errorf("sandbox A: %d client-credentials grants, want 0", n)
	}
}
