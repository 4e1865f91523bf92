// Package helloapi is the "Hello World" API of Auth0's samples: a public, a
// protected and an admin message, guarded by RS256 access tokens issued by an
// OpenID Connect provider. It is served by "hello sandbox" next to the sandbox
// provider and works alone as a drop-in for Auth0's sample API.
package helloapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Defaults for the zero values of Config.
const (
	DefaultLeeway = 5 * time.Second
	// defaultHTTPTimeout bounds a whole discovery or JWKS exchange, so a
	// provider that accepts the connection and then stalls cannot hold
	// protected requests forever.
	defaultHTTPTimeout = 10 * time.Second
)

// Config says which tokens the API accepts.
type Config struct {
	// Issuer is the expected "iss" claim, compared exactly: Auth0 issuers end
	// in a slash ("https://DOMAIN/"), the sandbox's do not. Discovery is read
	// from Issuer without its trailing slash + "/.well-known/openid-configuration".
	Issuer string
	// Audience must be one of the token's "aud" values, e.g.
	// "https://hello-world.example.com".
	Audience string
	// HTTPClient fetches discovery and the JWKS; nil means a client with a
	// 10s timeout.
	HTTPClient *http.Client
	// Leeway is the clock skew allowed on exp, nbf and iat; zero means
	// DefaultLeeway.
	Leeway time.Duration
	// Now is the clock used for token times and the JWKS re-fetch limit;
	// nil means time.Now. Tests set it.
	Now func() time.Time
	// Logger receives server faults only (panics, an unreachable provider),
	// never one line per request; nil means slog.Default().
	Logger *slog.Logger
}

// Server is an http.Handler serving the Hello World API. It is safe for
// concurrent use. Discovery and the JWKS are fetched once, on the first
// protected request or by Prefetch, and cached.
type Server struct {
	issuer       string
	audience     jwt.Audience
	leeway       time.Duration
	now          func() time.Time
	client       *http.Client
	log          *slog.Logger
	discoveryURL string

	// cache remembers tokens that passed verification.
	cache tokenCache

	// keys is read without a lock on every protected request; writers
	// replace the whole set, so readers never see a half-built map.
	keys atomic.Pointer[keySet]

	mu          sync.Mutex // guards the fields below
	jwksURI     string     // from discovery; "" until discovery succeeds
	inflight    *fetchCall // the fetch every concurrent miss waits on
	nextRefetch time.Time  // unknown kids re-fetch the JWKS no earlier than this

	// waiting, when set, is called by each request about to wait on a
	// fetch, so tests can answer the fetch once all of them are waiting
	// instead of guessing how long that takes.
	waiting func()
}

// New checks cfg and returns a Server. It does not touch the network.
func New(cfg Config) (*Server, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("helloapi: issuer is required")
	}
	if err := checkFetchURL(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("helloapi: issuer %q: %w", cfg.Issuer, err)
	}
	if cfg.Audience == "" {
		return nil, errors.New("helloapi: audience is required")
	}
	if cfg.Leeway < 0 {
		return nil, fmt.Errorf("helloapi: leeway %v is negative", cfg.Leeway)
	}
	s := &Server{
		issuer:       cfg.Issuer,
		audience:     jwt.Audience{cfg.Audience},
		leeway:       cfg.Leeway,
		now:          cfg.Now,
		client:       cfg.HTTPClient,
		log:          cfg.Logger,
		discoveryURL: strings.TrimSuffix(cfg.Issuer, "/") + "/.well-known/openid-configuration",
	}
	if s.leeway == 0 {
		s.leeway = DefaultLeeway
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// checkFetchURL accepts the absolute http(s) URLs the API may fetch keys
// from. Whether plain http is acceptable for an issuer is the caller's
// policy (the CLI allows it on loopback only; the sandbox may listen
// elsewhere when told to); discover refuses a downgrade from an https issuer
// to an http jwks_uri.
func checkFetchURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("not an absolute URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not have a query or fragment")
	}
	return nil
}

const (
	pathPublic    = "/api/messages/public"
	pathProtected = "/api/messages/protected"
	pathAdmin     = "/api/messages/admin"

	allowedOrigin   = "http://localhost:4040"
	adminPermission = "read:admin-messages"
)

// ServeHTTP answers the three message routes, CORS preflights for them, and
// 404 for everything else. A panic becomes a plain 500; the stack goes to
// the log, never to the client.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	setSecurityHeaders(h)
	wrote := false
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		// net/http's own way to abort a response: let it through.
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.log.Error("helloapi: panic serving request",
			"method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
		if !wrote {
			writeResponse(w, h, &respInternal)
		}
	}()
	resp := s.route(r, h)
	wrote = true
	writeResponse(w, h, resp)
}

func (s *Server) route(r *http.Request, h http.Header) *response {
	admin := false
	switch r.URL.Path {
	case pathPublic, pathProtected:
	case pathAdmin:
		admin = true
	default:
		return &respNotFound
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		return preflight(r, h)
	default:
		return &respNotFound
	}
	setCORS(r, h)
	if r.URL.Path == pathPublic {
		return &respPublic
	}
	return s.authorize(r, admin)
}

// authorize checks the bearer token of a protected or admin request and
// picks the answer.
func (s *Server) authorize(r *http.Request, admin bool) *response {
	// Indexing the map directly skips Header.Get's key canonicalisation;
	// "Authorization" is already canonical.
	var auth string
	if v := r.Header["Authorization"]; len(v) > 0 {
		auth = strings.TrimSpace(v[0])
	}
	if auth == "" {
		return &respRequiresAuth
	}
	token, ok := bearerToken(auth)
	if !ok {
		return &respBadCredentials
	}
	v, err := s.verify(r.Context(), token)
	if err != nil {
		if errors.Is(err, errBadToken) {
			return &respBadCredentials
		}
		// Not the client's fault: the provider is unreachable or answered
		// nonsense. A client that went away is not worth a log line.
		if !errors.Is(err, context.Canceled) {
			s.log.Error("helloapi: cannot verify token", "err", err)
		}
		return &respInternal
	}
	if !admin {
		return &respProtected
	}
	if v.admin {
		return &respAdmin
	}
	return &respForbidden
}

// bearerToken returns the token of an "Authorization: Bearer <token>" value.
// The scheme is case-insensitive (RFC 7235 §2.1); the token is one b64token
// with no whitespace inside (RFC 6750 §2.1).
func bearerToken(auth string) (string, bool) {
	const scheme = "Bearer"
	if len(auth) <= len(scheme) || auth[len(scheme)] != ' ' || !strings.EqualFold(auth[:len(scheme)], scheme) {
		return "", false
	}
	token := strings.TrimLeft(auth[len(scheme):], " ")
	// IndexByte is vectorised; the token is most of a kilobyte.
	if token == "" || strings.IndexByte(token, ' ') >= 0 || strings.IndexByte(token, '\t') >= 0 {
		return "", false
	}
	return token, true
}

// preflight answers a CORS preflight. Allow-headers are sent only to the
// allowed origin; any other origin gets a bare 204, which browsers treat as
// a refusal.
func preflight(r *http.Request, h http.Header) *response {
	if setCORS(r, h) {
		h["Access-Control-Allow-Methods"] = hdrAllowMethods
		h["Access-Control-Allow-Headers"] = hdrAllowHeaders
		h["Access-Control-Max-Age"] = hdrMaxAge
	}
	return &respPreflight
}

// setCORS allows the sample web app's origin to read the answer, and
// reports whether the request came from it.
func setCORS(r *http.Request, h http.Header) bool {
	// The answer depends on Origin, so caches must key on it.
	h["Vary"] = hdrVaryOrigin
	if v := r.Header["Origin"]; len(v) == 0 || v[0] != allowedOrigin {
		return false
	}
	h["Access-Control-Allow-Origin"] = hdrAllowOrigin
	return true
}
