package e2e

import (
	"strings"
	"testing"
)

// TestExecNestedHelloKeepsTheProfile: a hello run by the command of
// `hello --profile two exec` reads HELLO_API_URL, profile two's API, as its
// own API URL. It must use profile two's session too, never send the
// default profile's token to profile two's API.
func TestExecNestedHelloKeepsTheProfile(t *testing.T) {
	t.Parallel()
	needSh(t)
	sbA, sbB := startSandbox(t), startSandbox(t)
	u := newUser(t, nil)
	u.writeFile(".config", "[AUTH0]\nISSUER="+sbA.Issuer+"\n[WEBAPP]\nAPI_SERVER_URL="+sbA.API+"\n\n"+
		"[profile two]\nISSUER="+sbB.Issuer+"\nCLIENT_ID=hello-ci\nCLIENT_SECRET=hello-ci-secret\n"+
		"AUDIENCE=https://hello-world.example.com\nAPI_SERVER_URL="+sbB.API+"\n")
	u.login("alice@example.com", "alice-password") // the default profile, sandbox A
	u.mustRun("--profile", "two", "login", "--client-credentials")

	r := u.mustRun("--profile", "two", "exec", "--", "sh", "-c",
		`"$0" status --jq .profile && "$0" api /api/messages/protected --jq .text`, helloBin)
	if r.Stdout != "two\nThis is a protected message.\n" {
		t.Errorf("nested hello: stdout %q, stderr %q", r.Stdout, r.Stderr)
	}
	if n := sbA.grants(t, "refresh_token"); n != 0 {
		t.Errorf("the default profile's session was renewed %d times for profile two's API", n)
	}
	// The default profile's own exec says so too.
	if r := u.mustRun("exec", "--", "sh", "-c", `printf %s "$HELLO_PROFILE"`); !strings.Contains(r.Stdout, "default") {
		t.Errorf("default profile: HELLO_PROFILE=%q", r.Stdout)
	}
}
