package oidcclient

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	testClientID = "hello-cli"
	testSecret   = "hello-ci-secret"
	testAudience = "https://hello-world.example.com"
	testUserCode = "ABCD-EFGH"
)

// RSA key generation is slow under -race; all fakes share two keys: one the
// JWKS publishes and one it does not (for forged signatures).
var (
	testKey  = sync.OnceValue(func() *rsa.PrivateKey { return mustKey() })
	otherKey = sync.OnceValue(func() *rsa.PrivateKey { return mustKey() })
)

func mustKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// fakeOP is a small OpenID provider for tests. Settings are written before
// the flow under test starts; recorded requests are read after it ends.
type fakeOP struct {
	t      *testing.T
	srv    *httptest.Server
	issuer string

	// Discovery.
	promptValues []string
	grantTypes   []string
	noDevice     bool
	// discoveryStatus and jwksStatus, when set, are answered with
	// Retry-After: 3 instead of the document.
	discoveryStatus, jwksStatus int
	noRevocation                bool
	endSession                  string   // end_session_endpoint when set
	authMethods                 []string // token_endpoint_auth_methods_supported when set

	// Token behaviour.
	idClaims         func(claims map[string]any) // edits ID token claims before signing
	signWith         *rsa.PrivateKey             // signs ID tokens with this key instead
	omitIDToken      bool
	omitExpiry       bool
	rotate           bool // refresh returns a new refresh token
	idTokenOnRefresh bool
	tokenStatus      int // when set, /token answers this status with a server error
	revokeStatus     int
	denyAuthorize    bool

	// Device grant.
	deviceInterval  int
	deviceExpiresIn int
	deviceScript    []string // per poll: pending, slow_down, approve, deny, expire
	deviceSecret    string   // the client secret polls must carry ("" for a public client)

	mu            sync.Mutex
	codes         map[string]codeGrant
	refreshTokens map[string]bool
	accessTokens  map[string]bool
	authorizeReqs []url.Values
	deviceReqs    []url.Values
	devicePolls   []time.Time
	devicePollReq []devicePollRequest // what each poll carried
	ccReqs        []*http.Request
	revokeReqs    []url.Values
	revokeAuth    []basicAuth // the Authorization header of each revocation
	requests      int
}

type basicAuth struct {
	user, pass string
	ok         bool
}

// devicePollRequest is a device token poll as the provider saw it.
type devicePollRequest struct {
	form url.Values
	auth basicAuth
}

type codeGrant struct {
	challenge, nonce, redirectURI string
}

func newFakeOP(t *testing.T) *fakeOP {
	t.Helper()
	op := &fakeOP{
		t:               t,
		codes:           map[string]codeGrant{},
		refreshTokens:   map[string]bool{},
		accessTokens:    map[string]bool{},
		deviceInterval:  1,
		deviceExpiresIn: 60,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /jwks", op.jwks)
	mux.HandleFunc("GET /authorize", op.authorize)
	mux.HandleFunc("POST /token", op.token)
	mux.HandleFunc("POST /device/code", op.deviceCode)
	mux.HandleFunc("POST /revoke", op.revoke)
	mux.HandleFunc("GET /userinfo", op.userinfo)
	op.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		op.requests++
		op.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(op.srv.Close)
	op.issuer = op.srv.URL
	return op
}

func (op *fakeOP) discovery(w http.ResponseWriter, _ *http.Request) {
	if op.discoveryStatus != 0 {
		w.Header().Set("Retry-After", "3")
		writeJSON(w, op.discoveryStatus, map[string]string{})
		return
	}
	m := map[string]any{
		"issuer":                                op.issuer,
		"authorization_endpoint":                op.issuer + "/authorize",
		"token_endpoint":                        op.issuer + "/token",
		"jwks_uri":                              op.issuer + "/jwks",
		"userinfo_endpoint":                     op.issuer + "/userinfo",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	}
	if !op.noDevice {
		m["device_authorization_endpoint"] = op.issuer + "/device/code"
	}
	if !op.noRevocation {
		m["revocation_endpoint"] = op.issuer + "/revoke"
	}
	if op.endSession != "" {
		m["end_session_endpoint"] = op.endSession
	}
	if op.promptValues != nil {
		m["prompt_values_supported"] = op.promptValues
	}
	if op.grantTypes != nil {
		m["grant_types_supported"] = op.grantTypes
	}
	if op.authMethods != nil {
		m["token_endpoint_auth_methods_supported"] = op.authMethods
	}
	writeJSON(w, http.StatusOK, m)
}

func (op *fakeOP) jwks(w http.ResponseWriter, _ *http.Request) {
	if op.jwksStatus != 0 {
		w.Header().Set("Retry-After", "3")
		writeJSON(w, op.jwksStatus, map[string]string{})
		return
	}
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &testKey().PublicKey, KeyID: "test-key", Algorithm: "RS256", Use: "sig",
	}}})
}

func (op *fakeOP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	op.mu.Lock()
	op.authorizeReqs = append(op.authorizeReqs, q)
	op.mu.Unlock()

	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme != "http" || !strings.HasPrefix(redirect.Host, "localhost:") {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	if q.Get("client_id") != testClientID || q.Get("response_type") != "code" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	if op.denyAuthorize {
		back.Set("error", "access_denied")
		back.Set("error_description", "The user cancelled")
	} else {
		code := randomString()
		op.mu.Lock()
		op.codes[code] = codeGrant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirectURI: q.Get("redirect_uri")}
		op.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (op *fakeOP) token(w http.ResponseWriter, r *http.Request) {
	if op.tokenStatus != 0 {
		writeJSON(w, op.tokenStatus, map[string]string{"error": "server_error"})
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if clientID != testClientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	f := r.PostForm
	switch f.Get("grant_type") {
	case "authorization_code":
		op.mu.Lock()
		g, ok := op.codes[f.Get("code")]
		delete(op.codes, f.Get("code")) // single use
		op.mu.Unlock()
		switch {
		case !ok:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown code")
		case f.Get("redirect_uri") != g.redirectURI:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri mismatch")
		case f.Get("code_verifier") == "":
			oauthError(w, http.StatusBadRequest, "invalid_grant", "missing code_verifier")
		case s256(f.Get("code_verifier")) != g.challenge:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		default:
			op.issue(w, g.nonce, true, true)
		}
	case "refresh_token":
		rt := f.Get("refresh_token")
		op.mu.Lock()
		ok := op.refreshTokens[rt]
		if ok && op.rotate {
			delete(op.refreshTokens, rt)
		}
		op.mu.Unlock()
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or reused refresh token")
			return
		}
		op.issue(w, "", op.idTokenOnRefresh, op.rotate)
	case "client_credentials":
		op.mu.Lock()
		op.ccReqs = append(op.ccReqs, r)
		op.mu.Unlock()
		if secret != testSecret {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "bad secret")
			return
		}
		op.issue(w, "", false, false)
	case deviceGrantType:
		user, pass, ok := r.BasicAuth()
		op.mu.Lock()
		op.devicePollReq = append(op.devicePollReq, devicePollRequest{form: f, auth: basicAuth{user, pass, ok}})
		op.mu.Unlock()
		if secret != op.deviceSecret {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "bad secret")
			return
		}
		op.devicePoll(w, f)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

func (op *fakeOP) devicePoll(w http.ResponseWriter, f url.Values) {
	op.mu.Lock()
	op.devicePolls = append(op.devicePolls, time.Now())
	step := "pending"
	if n := len(op.devicePolls); n <= len(op.deviceScript) {
		step = op.deviceScript[n-1]
	}
	op.mu.Unlock()
	if f.Get("device_code") != "device-code-1" {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown device code")
		return
	}
	switch step {
	case "approve":
		op.issue(w, "", true, true)
	case "pending":
		oauthError(w, http.StatusBadRequest, "authorization_pending", "")
	case "pending with 200":
		// RFC 6749 §5.2 wants 400; some providers (GitHub's device flow)
		// answer the error with 200.
		oauthError(w, http.StatusOK, "authorization_pending", "")
	case "slow_down":
		oauthError(w, http.StatusTooManyRequests, "slow_down", "")
	case "deny":
		oauthError(w, http.StatusForbidden, "access_denied", "User denied the device")
	case "expire":
		oauthError(w, http.StatusBadRequest, "expired_token", "")
	}
}

// issue answers a token request with fresh tokens.
func (op *fakeOP) issue(w http.ResponseWriter, nonce string, withID, withRefresh bool) {
	at := "at-" + randomString()
	resp := map[string]any{"access_token": at, "token_type": "Bearer"}
	if !op.omitExpiry {
		resp["expires_in"] = 3600
	}
	op.mu.Lock()
	op.accessTokens[at] = true
	if withRefresh {
		rt := "rt-" + randomString()
		op.refreshTokens[rt] = true
		resp["refresh_token"] = rt
	}
	op.mu.Unlock()
	if withID && !op.omitIDToken {
		now := time.Now()
		claims := map[string]any{
			"iss":   op.issuer,
			"sub":   "user-1",
			"aud":   testClientID,
			"iat":   now.Unix(),
			"exp":   now.Add(time.Hour).Unix(),
			"email": "alice@example.com",
			"name":  "Alice",
		}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		if op.idClaims != nil {
			op.idClaims(claims)
		}
		key := testKey()
		if op.signWith != nil {
			key = op.signWith
		}
		resp["id_token"] = signJWT(op.t, key, claims)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (op *fakeOP) deviceCode(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	op.mu.Lock()
	op.deviceReqs = append(op.deviceReqs, r.PostForm)
	op.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               "device-code-1",
		"user_code":                 testUserCode,
		"verification_uri":          op.issuer + "/activate",
		"verification_uri_complete": op.issuer + "/activate?user_code=" + testUserCode,
		"expires_in":                op.deviceExpiresIn,
		"interval":                  op.deviceInterval,
	})
}

func (op *fakeOP) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	op.mu.Lock()
	op.revokeReqs = append(op.revokeReqs, r.PostForm)
	user, pass, ok := r.BasicAuth()
	op.revokeAuth = append(op.revokeAuth, basicAuth{user, pass, ok})
	delete(op.refreshTokens, r.PostForm.Get("token"))
	op.mu.Unlock()
	if op.revokeStatus != 0 {
		oauthError(w, op.revokeStatus, "temporarily_unavailable", "try later")
		return
	}
	w.WriteHeader(http.StatusOK) // Auth0: 200 with an empty body
}

func (op *fakeOP) userinfo(w http.ResponseWriter, r *http.Request) {
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	op.mu.Lock()
	valid := ok && op.accessTokens[at]
	op.mu.Unlock()
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fake", error="invalid_token", error_description="bad token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"sub": "user-1", "email": "alice@example.com", "email_verified": true, "updated_at": 1700000000,
	})
}

func (op *fakeOP) authorizeRequests() []url.Values {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]url.Values(nil), op.authorizeReqs...)
}

// addRefreshToken makes rt a valid refresh token.
func (op *fakeOP) addRefreshToken(rt string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.refreshTokens[rt] = true
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func signJWT(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "test-key"}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		t.Errorf("signer: %v", err)
		return ""
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Errorf("claims: %v", err)
		return ""
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Errorf("sign: %v", err)
		return ""
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Errorf("serialize: %v", err)
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}
