package transport

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/hello-cli/hello/internal/urlpolicy"
)

// maxRedirects is net/http's own default bound.
const maxRedirects = 10

// checkRedirect keeps credentials on the connection they were meant for.
// net/http keeps the Authorization header on a redirect to the same host
// name whatever the scheme or port, and re-sends a POST body on 307/308 to
// any host: an https API answering 302 to http:// would otherwise leak the
// bearer token in clear, and a token endpoint's 307 the refresh token.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("stopped after 10 redirects")
	}
	first := via[0]
	if !secure(req.URL) {
		return fmt.Errorf("refusing to follow a redirect from %s to %s: plain http is allowed only for loopback hosts", Redact(first.URL.String()), Redact(req.URL.String()))
	}
	carriesSecrets := first.Header.Get("Authorization") != "" || (first.Method != http.MethodGet && first.Method != http.MethodHead)
	if carriesSecrets && !sameOrigin(first.URL, req.URL) {
		return fmt.Errorf("refusing to follow a redirect from %s to another origin, %s, with credentials", Redact(first.URL.String()), Redact(req.URL.String()))
	}
	return nil
}

func secure(u *url.URL) bool { return urlpolicy.Secure(u) }

func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && a.Host == b.Host
}
