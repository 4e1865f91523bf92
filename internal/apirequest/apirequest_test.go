package apirequest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const base = "http://localhost:6060"

func build(t *testing.T, base string, s Spec) *http.Request {
	t.Helper()
	req, err := Build(context.Background(), base, s)
	if err != nil {
		t.Fatalf("Build(%+v): %v", s, err)
	}
	return req
}

func body(t *testing.T, req *http.Request) string {
	t.Helper()
	if req.Body == nil {
		return ""
	}
	b, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPaths(t *testing.T) {
	t.Parallel()
	tests := []struct{ base, path, want string }{
		{base, "/api/messages/admin", base + "/api/messages/admin"},
		{base, "api/messages/admin", base + "/api/messages/admin"},
		{base + "/", "/api/x?a=1&b=2", base + "/api/x?a=1&b=2"},
		{"https://api.example.com/v1", "/messages", "https://api.example.com/v1/messages"},
		{"https://api.example.com/v1/", "messages#frag", "https://api.example.com/v1/messages"},
		{base, "/@evil.example.com/x", base + "/@evil.example.com/x"},
		{base, base + "/api/messages/public", base + "/api/messages/public"},
		{"https://api.example.com", "https://API.example.com:443/x", "https://API.example.com:443/x"},
		{base, "http://localhost:6060", "http://localhost:6060"},
	}
	for _, tt := range tests {
		req := build(t, tt.base, Spec{Path: tt.path})
		if got := req.URL.String(); got != tt.want {
			t.Errorf("%s + %s = %s, want %s", tt.base, tt.path, got, tt.want)
		}
		if req.Method != http.MethodGet || req.Header.Get("Accept") != "application/json" || req.Body != nil {
			t.Errorf("%s: method %s, headers %v, body %v", tt.path, req.Method, req.Header, req.Body)
		}
	}
}

// TestOtherOriginsRefused: the token is only ever sent to the API's origin.
func TestOtherOriginsRefused(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		"https://evil.example.com/api/messages/admin",
		"//evil.example.com/x",
		"http://localhost:6061/api",  // another port
		"https://localhost:6060/api", // another scheme
		"http://127.0.0.1:6060/api",  // another host name for the same machine
		"http://user:pw@localhost:6060/",
		"mailto:root@example.com",
		"javascript:alert(1)",
	} {
		_, err := Build(context.Background(), base, Spec{Path: p})
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "refusing to send your access token to") {
			t.Errorf("%s: err = %v, want a refusal", p, err)
		}
		if strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: the refusal echoes the password: %v", p, err)
		}
	}
	// A user name in the URL is named as the reason: the origin alone would
	// be the API's own, and the refusal would read as a contradiction.
	_, err := Build(context.Background(), base, Spec{Path: "http://user:pw@localhost:6060/"})
	if err == nil || !strings.Contains(err.Error(), "user name or password") {
		t.Errorf("userinfo on the API's origin: err = %v, want it named", err)
	}
	if _, err := Build(context.Background(), base, Spec{Path: ""}); err == nil {
		t.Error("empty path accepted")
	}
}

func TestMethodsAndBodies(t *testing.T) {
	t.Parallel()
	in := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(in, []byte(`{"from":"file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		spec       Spec
		wantMethod string
		wantURL    string
		wantBody   string
		wantType   string
	}{
		{"get", Spec{Path: "/x"}, "GET", base + "/x", "", ""},
		{"lower-case method", Spec{Method: "delete", Path: "/x"}, "DELETE", base + "/x", "", ""},
		{"fields make a POST with JSON", Spec{Path: "/x", Fields: []string{"b=2", "a=one=1"}}, "POST", base + "/x", `{"a":"one=1","b":"2"}`, "application/json"},
		{"fields with PUT", Spec{Method: "PUT", Path: "/x", Fields: []string{"a="}}, "PUT", base + "/x", `{"a":""}`, "application/json"},
		{"fields with GET are the query", Spec{Method: "GET", Path: "/x?z=0", Fields: []string{"a=1", "a=2", "sp=a b&c"}}, "GET", base + "/x?a=1&a=2&sp=a+b%26c&z=0", "", ""},
		{"input file", Spec{Path: "/x", Input: in}, "POST", base + "/x", `{"from":"file"}`, "application/json"},
		{"input stdin with PATCH", Spec{Method: "PATCH", Path: "/x", Input: "-", Stdin: strings.NewReader("raw body")}, "PATCH", base + "/x", "raw body", "application/json"},
		{"input and fields: fields are the query", Spec{Path: "/x", Input: "-", Stdin: strings.NewReader("b"), Fields: []string{"q=1"}}, "POST", base + "/x?q=1", "b", "application/json"},
		{"own content type kept", Spec{Path: "/x", Input: "-", Stdin: strings.NewReader("<a/>"), Headers: []string{"content-type: text/xml"}}, "POST", base + "/x", "<a/>", "text/xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := build(t, base, tt.spec)
			got := []string{req.Method, req.URL.String(), body(t, req), req.Header.Get("Content-Type")}
			if diff := cmp.Diff([]string{tt.wantMethod, tt.wantURL, tt.wantBody, tt.wantType}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tt.wantBody != "" {
				// The body can be sent again after a 401.
				rc, err := req.GetBody()
				if err != nil {
					t.Fatal(err)
				}
				if again, _ := io.ReadAll(rc); string(again) != tt.wantBody {
					t.Errorf("replayed body %q", again)
				}
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	req := build(t, base, Spec{Path: "/x", Headers: []string{"X-Trace:  abc ", "accept: text/plain", "X-Multi: 1", "x-multi: 2", "X-Empty:"}})
	want := http.Header{"X-Trace": {"abc"}, "Accept": {"text/plain"}, "X-Multi": {"1", "2"}, "X-Empty": {""}}
	if diff := cmp.Diff(want, req.Header); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
}

func TestBadArguments(t *testing.T) {
	t.Parallel()
	big := strings.NewReader(strings.Repeat("x", MaxInput+1))
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"header without colon", Spec{Path: "/x", Headers: []string{"X-Trace abc"}}, `bad header "X-Trace abc": use -H 'Name: value'`},
		{"header name with space", Spec{Path: "/x", Headers: []string{"X Trace: abc"}}, "bad header"},
		{"header injection", Spec{Path: "/x", Headers: []string{"X: a\r\nAuthorization: Bearer x"}}, "cannot span lines"},
		{"authorization", Spec{Path: "/x", Headers: []string{"authorization: Bearer stolen"}}, "header Authorization is set by hello itself"},
		{"host", Spec{Path: "/x", Headers: []string{"Host: evil.example.com"}}, "header Host is set by hello itself"},
		{"field without =", Spec{Path: "/x", Fields: []string{"a"}}, `bad field "a": use -f key=value`},
		{"field without key", Spec{Path: "/x", Fields: []string{"=v"}}, "bad field"},
		{"duplicate body field", Spec{Path: "/x", Fields: []string{"a=1", "a=2"}}, `field "a" is given twice`},
		{"bad method", Spec{Method: "GE T", Path: "/x"}, `bad method "GE T"`},
		{"GET with input", Spec{Method: "GET", Path: "/x", Input: "-", Stdin: strings.NewReader("b")}, "a GET request has no body"},
		{"input too large", Spec{Path: "/x", Input: "-", Stdin: big}, "larger than 16 MiB"},
	}
	for _, tt := range tests {
		_, err := Build(context.Background(), base, tt.spec)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want usage error %q", tt.name, err, tt.want)
		}
	}
	if _, err := Build(context.Background(), base, Spec{Path: "/x", Input: filepath.Join(t.TempDir(), "missing")}); err == nil || !strings.Contains(err.Error(), "cannot read the --input file") {
		t.Errorf("missing input file: %v", err)
	}
}

// TestRedirectsStayOnTheOrigin runs a real server that redirects within the
// API and then to another origin: the second is not followed, so the token
// an authenticated transport adds never reaches it.
func TestRedirectsStayOnTheOrigin(t *testing.T) {
	t.Parallel()
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b", http.StatusFound)
		case "/b":
			http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
		}
	}))
	defer api.Close()
	u, _ := url.Parse(api.URL)
	c := Client(api.Client(), u)
	resp, err := c.Do(build(t, api.URL, Spec{Path: "/a"}))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Request.URL.Path != "/b" || elsewhere != 0 {
		t.Errorf("status %d at %s, other origin hit %d times", resp.StatusCode, resp.Request.URL, elsewhere)
	}
}

func TestWriteHead(t *testing.T) {
	t.Parallel()
	resp := &http.Response{Proto: "HTTP/1.1", Status: "200 OK", Header: http.Header{
		"Content-Type": {"application/json"}, "X-Evil": {"a\x1b[2Jb"}, "Cache-Control": {"no-cache", "no-store"},
	}}
	var b bytes.Buffer
	clean := func(s string) string { return strings.ReplaceAll(s, "\x1b", `\x1b`) }
	if err := WriteHead(&b, resp, clean); err != nil {
		t.Fatal(err)
	}
	want := "HTTP/1.1 200 OK\nCache-Control: no-cache\nCache-Control: no-store\nContent-Type: application/json\nX-Evil: a\\x1b[2Jb\n\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{"/api/x", "//evil", "https://evil/", "a:b", `\\evil`, "/%2e%2e/x", "?q", "@evil"} {
		f.Add(s)
	}
	api, _ := url.Parse(base)
	f.Fuzz(func(t *testing.T, p string) {
		u, err := Resolve(api, p)
		if err == nil && !SameOrigin(api, u) {
			t.Fatalf("Resolve(%q) = %s, another origin", p, u)
		}
	})
}
