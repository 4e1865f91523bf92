package sandbox

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T, o Options) *Sandbox {
	t.Helper()
	o.Addr, o.APIAddr = "127.0.0.1:0", "127.0.0.1:0"
	sb, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sb.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return sb
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestProviderAndAPI(t *testing.T) {
	t.Parallel()
	sb := start(t, Options{Ephemeral: true})
	if sb.Provider == nil || !strings.HasPrefix(sb.IssuerURL, "http://127.0.0.1:") {
		t.Fatalf("sandbox = %+v", sb)
	}
	if code, body := get(t, sb.IssuerURL+"/.well-known/openid-configuration"); code != 200 || !strings.Contains(body, `"issuer":"`+sb.IssuerURL+`"`) {
		t.Errorf("discovery: %d %s", code, body)
	}
	if code, body := get(t, sb.APIURL+"/api/messages/public"); code != 200 || body != `{"text":"This is a public message."}` {
		t.Errorf("public: %d %s", code, body)
	}
	if code, _ := get(t, sb.APIURL+"/api/messages/protected"); code != 401 {
		t.Errorf("protected without a token: %d", code)
	}
}

func TestAPIOnly(t *testing.T) {
	t.Parallel()
	full := start(t, Options{Ephemeral: true})
	api := start(t, Options{Issuer: full.IssuerURL, Audience: DefaultAudience})
	if api.Provider != nil || api.IssuerURL != full.IssuerURL {
		t.Fatalf("API-only sandbox = %+v", api)
	}
	if code, _ := get(t, api.APIURL+"/api/messages/public"); code != 200 {
		t.Errorf("public: %d", code)
	}
}

func TestBusyAddress(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Start(context.Background(), Options{Ephemeral: true, Addr: ln.Addr().String(), APIAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) || !strings.Contains(err.Error(), "--addr") {
		t.Fatalf("err = %v, want the address and the flag", err)
	}
}

func TestNonLoopbackWarns(t *testing.T) {
	t.Parallel()
	var log strings.Builder
	// A documentation address (RFC 5737): not on this machine, so nothing
	// listens beyond loopback, but the warning comes before the attempt.
	if _, err := listen("192.0.2.1:0", "--addr", &log); err == nil {
		t.Fatal("listening on 192.0.2.1 succeeded")
	}
	if !strings.Contains(log.String(), "not a loopback address") {
		t.Errorf("no warning: %q", log.String())
	}
	if _, err := listen("nonsense", "--api-addr", &log); err == nil || !strings.Contains(err.Error(), "--api-addr") {
		t.Errorf("bad address error = %v", err)
	}
}

type fakeListener struct {
	net.Listener
	addr *net.TCPAddr
}

func (l fakeListener) Addr() net.Addr { return l.addr }

func TestBaseURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ip   net.IP
		want string
	}{
		{net.IPv4(127, 0, 0, 1), "http://127.0.0.1:5055"},
		{net.IPv6loopback, "http://[::1]:5055"},
		{net.IPv4zero, "http://127.0.0.1:5055"},
		{net.IPv6unspecified, "http://127.0.0.1:5055"},
	} {
		if got := baseURL(fakeListener{addr: &net.TCPAddr{IP: tt.ip, Port: 5055}}); got != tt.want {
			t.Errorf("baseURL(%v) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

func TestAPIOnlyWithUnreachableIssuer(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), Options{Issuer: "http://127.0.0.1:1", Audience: DefaultAudience, Addr: "127.0.0.1:0", APIAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "http://127.0.0.1:1") {
		t.Fatalf("err = %v, want a start-up error naming the issuer", err)
	}
}
