package provider

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hello-cli/hello/internal/sandbox/store"
)

// maxBodyBytes bounds every request body; forms here are tiny.
const maxBodyBytes = 64 << 10

// routes wires our pages and thin wrappers around the library's endpoints.
// The wrappers exist for what the library leaves to us: Auth0 parameters
// (audience, screen_hint), the strict loopback allow-lists, grant counting,
// slow_down, and turning its plain-text errors into protocol errors or HTML
// pages.
func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(oidc.DiscoveryEndpoint, p.handleDiscovery)
	mux.HandleFunc("/authorize", p.handleAuthorize)
	mux.HandleFunc(callbackPath, p.singleParams(p.handleAuthorizeCallback))
	mux.HandleFunc("/oauth/token", p.handleToken)
	mux.HandleFunc("/device_authorization", p.handleDeviceAuthorization)
	mux.HandleFunc("/revoke", p.handleFormEndpoint)
	mux.HandleFunc("/oauth/introspect", p.handleIntrospect)
	mux.HandleFunc("/userinfo", p.handleUserinfo)
	mux.HandleFunc("/end_session", p.handleEndSession)
	mux.HandleFunc(loginPath, p.singleParams(p.handleLogin))
	mux.HandleFunc(signupPath, p.singleParams(p.handleSignup))
	mux.HandleFunc(devicePath, p.singleParams(p.handleDevice))
	mux.HandleFunc(approvePath, p.singleParams(p.handleDeviceApprove))
	mux.HandleFunc(loggedOutPath, p.handleLoggedOut)
	mux.HandleFunc(statsPath, p.handleStats)
	mux.Handle("/", p.op) // keys, healthz, ready, and the library's 404
	return p.guard(mux)
}

// guard bounds request bodies and turns a panic into a plain server_error,
// so no stack trace ever reaches a client.
func (p *Provider) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				p.log.Error("panic serving request", "path", r.URL.Path, "panic", v)
				writeOAuthError(w, http.StatusInternalServerError, oidc.ErrServerError().WithDescription("internal error"))
			}
		}()
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// singleParams refuses a page request (query or form) that gives a
// parameter more than once, as the protocol endpoints do: the pages read
// the first value, and nothing legitimate sends two.
func (p *Provider) singleParams(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			p.errorPage(w, http.StatusBadRequest, "The request is malformed.")
			return
		}
		if name := repeatedParam(r.Form); name != "" {
			p.errorPage(w, http.StatusBadRequest, "The request is not valid (invalid_request: parameter "+store.QuoteParam(name)+" given more than once).")
			return
		}
		next(w, r)
	}
}

func supportedClaims() []string {
	return []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "amr", "azp", "at_hash", "c_hash",
		"name", "nickname", "updated_at", "email", "email_verified"}
}

func supportedGrants() []string {
	return []string{
		string(oidc.GrantTypeCode), string(oidc.GrantTypeRefreshToken),
		string(oidc.GrantTypeClientCredentials), string(oidc.GrantTypeDeviceCode),
	}
}

// handleDiscovery serves the library's document, narrowed to what the
// sandbox really supports, plus prompt_values_supported (the library has no
// field for it) so clients can see prompt=create.
func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeOAuthError(w, http.StatusMethodNotAllowed, oidc.ErrInvalidRequest().WithDescription("use GET"))
		return
	}
	buf := newBufferedResponse()
	p.op.ServeHTTP(buf, r)
	var doc map[string]any
	if buf.status != http.StatusOK || json.Unmarshal(buf.body.Bytes(), &doc) != nil {
		buf.flushTo(w)
		return
	}
	doc["grant_types_supported"] = supportedGrants()
	doc["response_types_supported"] = []string{string(oidc.ResponseTypeCode)}
	doc["response_modes_supported"] = []string{string(oidc.ResponseModeQuery), string(oidc.ResponseModeFormPost)}
	doc["code_challenge_methods_supported"] = []string{string(oidc.CodeChallengeMethodS256)}
	doc["authorization_response_iss_parameter_supported"] = true // RFC 9207
	doc["prompt_values_supported"] = []string{oidc.PromptNone, oidc.PromptLogin, store.PromptCreate}
	doc["token_endpoint_auth_methods_supported"] = []string{
		string(oidc.AuthMethodNone), string(oidc.AuthMethodBasic), string(oidc.AuthMethodPost),
	}
	writeJSON(w, http.StatusOK, doc)
}

// handleAuthorize passes audience and screen_hint to storage and renders the
// library's plain-text refusals (bad client or redirect_uri, which must not
// be redirected) as an HTML page.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		p.methodNotAllowed(w, "GET, POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "The sign-in request is malformed.")
		return
	}
	if name := repeatedParam(r.Form); name != "" {
		p.refuseRepeated(w, r, name)
		return
	}
	// The library would only say it cannot find "the client": name the
	// value, the likely typo in someone's configuration.
	if id := r.Form.Get("client_id"); id != "" {
		if _, known := p.store.Client(id); !known {
			p.errorPage(w, http.StatusBadRequest, fmt.Sprintf("The application's sign-in request was refused: this sandbox has no application with client_id %s. Its applications are %s and %s.",
				store.QuoteParam(id), CLIClientID, CIClientID))
			return
		}
	}
	aud := r.Form.Get("audience")
	if resource := r.Form.Get("resource"); aud == "" {
		aud = resource // RFC 8707, as Auth0's audience
	} else if resource != "" && resource != aud {
		aud = "(audience and resource differ)" // refused by storage, with a redirect
	}
	res := &store.Result{}
	extras := store.Request{Audience: aud, ScreenHint: r.Form.Get("screen_hint"), Result: res}
	buf := newBufferedResponse()
	p.op.ServeHTTP(buf, r.WithContext(store.WithRequest(r.Context(), extras)))
	retryAfter(buf, res)
	p.addIss(buf)
	p.browserResult(w, buf)
}

// refuseRepeated answers an /authorize request with a repeated parameter:
// invalid_request, redirected to the application when its client_id and
// redirect_uri are single and valid, else on a page (RFC 6749 §4.1.2.1).
func (p *Provider) refuseRepeated(w http.ResponseWriter, r *http.Request, name string) {
	desc := "parameter " + name + " given more than once"
	q := r.Form
	c, known := p.store.Client(q.Get("client_id"))
	redirect := q.Get("redirect_uri")
	if len(q["client_id"]) != 1 || len(q["redirect_uri"]) != 1 || !known || !c.Public() ||
		!store.IsLoopbackCallback(redirect, "/callback") {
		p.errorPage(w, http.StatusBadRequest, "The application's sign-in request was refused: "+desc+".")
		return
	}
	v := url.Values{"error": {"invalid_request"}, "error_description": {desc}, "iss": {p.cfg.Issuer}}
	if len(q["state"]) == 1 {
		v.Set("state", q.Get("state"))
	}
	http.Redirect(w, r, redirect+"?"+v.Encode(), http.StatusFound)
}

// addIss adds RFC 9207's iss parameter to an authorization response, the
// library's redirect to the application (code or error, in the query or
// the fragment) or its form_post page, so that a client talking to several
// providers can tell which one answered (mix-up attacks).
func (p *Provider) addIss(buf *bufferedResponse) {
	switch {
	case buf.status >= 300 && buf.status < 400:
		raw := buf.header.Get("Location")
		loc, err := url.Parse(raw)
		if err != nil || !loc.IsAbs() || strings.HasPrefix(loc.String(), p.cfg.Issuer+"/") {
			return // not a redirect to the application
		}
		if q := loc.Query(); q.Get("code") != "" || q.Get("error") != "" {
			q.Set("iss", p.cfg.Issuer)
			loc.RawQuery = q.Encode()
			buf.header.Set("Location", loc.String())
			return
		}
		// response_mode=fragment: the parameters are the fragment.
		base, frag, _ := strings.Cut(raw, "#")
		q, err := url.ParseQuery(frag)
		if err != nil || q.Get("code") == "" && q.Get("error") == "" {
			return
		}
		q.Set("iss", p.cfg.Issuer)
		buf.header.Set("Location", base+"#"+q.Encode())
	case buf.status == http.StatusOK:
		// The library's form_post page, which it sends without a
		// Content-Type.
		ct := buf.header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(ct, "text/html") {
			return
		}
		body := buf.body.String()
		if !strings.Contains(body, `name="code"`) && !strings.Contains(body, `name="error"`) {
			return
		}
		if i := strings.LastIndex(body, "</form>"); i >= 0 {
			field := `<input type="hidden" name="iss" value="` + html.EscapeString(p.cfg.Issuer) + `"/>` + "\n"
			buf.body.Reset()
			buf.body.WriteString(body[:i] + field + body[i:])
			buf.header.Set("Content-Type", "text/html; charset=utf-8")
		}
	}
}

// handleAuthorizeCallback lets the library issue the authorization code,
// but only to the browser whose session completed the request. The id alone
// is no credential: it appears in URLs, and with SSO a victim's browser can
// be made to complete an attacker's request without any action (by opening
// /login?id=...); the attacker must not then collect the code here.
func (p *Provider) handleAuthorizeCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		p.methodNotAllowed(w, "GET")
		return
	}
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "The sign-in request is malformed.")
		return
	}
	ar, err := p.store.AuthRequest(r.Form.Get("id"))
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, msgFlowExpired)
		return
	}
	bs, _, ok := p.currentSession(r)
	if !ar.Done() || !ok || ar.SessionID() == "" || bs.UserID != ar.GetSubject() ||
		subtle.ConstantTimeCompare([]byte(bs.ID), []byte(ar.SessionID())) != 1 {
		p.log.Warn("authorization code refused: not the browser that signed in", "client", ar.GetClientID())
		p.errorPage(w, http.StatusForbidden, msgWrongBrowser)
		return
	}
	buf := newBufferedResponse()
	p.op.ServeHTTP(buf, r)
	p.addIss(buf)
	p.browserResult(w, buf)
}

// browserResult forwards the library's answer to a browser, replacing a
// plain-text error with an HTML page.
func (p *Provider) browserResult(w http.ResponseWriter, buf *bufferedResponse) {
	if buf.status < 400 || !strings.HasPrefix(buf.header.Get("Content-Type"), "text/plain") {
		buf.flushTo(w)
		return
	}
	detail := strings.TrimSpace(buf.body.String())
	if len(detail) > 300 {
		detail = detail[:300] + "…"
	}
	if detail == "" {
		detail = http.StatusText(buf.status)
	}
	p.errorPage(w, buf.status, "The application's sign-in request was refused: "+detail)
}

// handleToken checks what the library does not (method, form syntax, the
// supported grants, audience, device polling rate), runs the library's
// token endpoint and counts successful grants for Stats.
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	if !p.formPreamble(w, r) {
		return
	}
	if r.Method == http.MethodOptions {
		p.op.ServeHTTP(w, r) // CORS preflight
		return
	}
	p.publicClientInParams(r)
	grantType := r.PostForm.Get("grant_type")
	switch {
	case grantType == "":
		writeOAuthError(w, http.StatusBadRequest, oidc.ErrInvalidRequest().WithDescription("grant_type missing"))
		return
	case !slices.Contains(supportedGrants(), grantType):
		writeOAuthError(w, http.StatusBadRequest, oidc.ErrUnsupportedGrantType().WithDescription("grant_type not supported"))
		return
	}
	aud, e := p.audienceParam(r.PostForm)
	if e != nil {
		writeOAuthError(w, http.StatusBadRequest, e)
		return
	}
	res := &store.Result{}
	extras := store.Request{Audience: aud, Result: res}
	clientID := r.PostForm.Get("client_id")
	if id, _, ok := r.BasicAuth(); ok {
		clientID, _ = url.QueryUnescape(id)
	}
	if grantType == string(oidc.GrantTypeDeviceCode) && clientID != "" && r.PostForm.Get("device_code") != "" {
		if e := p.store.CheckDevicePoll(clientID, r.PostForm.Get("device_code")); e != nil {
			status := http.StatusBadRequest
			if e.ErrorType == oidc.SlowDown {
				status = http.StatusTooManyRequests // as Auth0 answers it
			}
			writeOAuthError(w, status, e)
			return
		}
	}
	// RFC 6749 §5.1: token responses must not be cached.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	refreshing := grantType == string(oidc.GrantTypeRefreshToken)
	if refreshing {
		if body, ok := p.store.ReplayRotation(r.PostForm.Get("refresh_token"), clientID); ok {
			p.log.Info("refresh token used again within the reuse interval; same tokens returned", "client", clientID)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
			return
		}
	}
	buf := newBufferedResponse()
	p.op.ServeHTTP(buf, r.WithContext(store.WithRequest(r.Context(), extras)))
	retryAfter(buf, res)
	if buf.status == http.StatusOK && refreshing {
		var tok struct {
			RefreshToken string `json:"refresh_token"`
		}
		if json.Unmarshal(buf.body.Bytes(), &tok) == nil && tok.RefreshToken != "" {
			p.store.RememberRotation(tok.RefreshToken, buf.body.Bytes())
		}
	}
	status := buf.status
	buf.flushTo(w)
	if status == http.StatusOK {
		p.store.RecordGrant(grantType)
		p.logGrant(grantType, clientID, res.Subject)
	}
}

// audienceParam returns the API a request names with Auth0's audience or
// RFC 8707's resource parameter (the same thing here), refusing any other
// with invalid_target. Empty means none.
func (p *Provider) audienceParam(form url.Values) (string, *oidc.Error) {
	aud, resource := form.Get("audience"), form.Get("resource")
	switch {
	case aud != "" && resource != "" && aud != resource:
		return "", oidc.ErrInvalidTarget().WithDescription("audience and resource name different APIs")
	case aud == "":
		aud = resource
	}
	if aud != "" && aud != p.cfg.Audience {
		return "", oidc.ErrInvalidTarget().WithDescription("unknown audience or resource")
	}
	return aud, nil
}

// logGrant logs an issued token response, one line per grant.
func (p *Provider) logGrant(grantType, clientID, subject string) {
	name := map[string]string{
		string(oidc.GrantTypeCode):              "authorization code",
		string(oidc.GrantTypeRefreshToken):      "refresh",
		string(oidc.GrantTypeClientCredentials): "client credentials",
		string(oidc.GrantTypeDeviceCode):        "device code",
	}[grantType]
	p.event("tokens issued", clientID, subject, "grant", name)
}

// event logs one real event. Identical ones (same message, client, user
// and details) are folded: the first is logged at once, the next ones at
// most once a minute with how many were left out, so that a script asking
// for client-credentials tokens in a loop writes one line a minute, not one
// per request, while a different client or user is logged as it happens.
func (p *Provider) event(msg, clientID, user string, details ...string) {
	kind := strings.Join(append([]string{msg, clientID, user}, details...), "\x00")
	skipped, ok := p.events.Allow(kind, p.now())
	if !ok {
		return
	}
	attrs := make([]any, 0, len(details)+6)
	for _, d := range details {
		attrs = append(attrs, d)
	}
	attrs = append(attrs, "client", clientID, "user", user)
	if skipped > 0 {
		attrs = append(attrs, "repeated_since_last_line", skipped)
	}
	p.log.Info(msg, attrs...)
}

// repeatedParam returns the name of a parameter given more than once, if
// any: RFC 6749 §3.1 says a request parameter must not be, and taking the
// first or the last silently would let two parties read one request
// differently.
func repeatedParam(form url.Values) string {
	names := make([]string, 0, len(form))
	for name, values := range form {
		if len(values) > 1 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return names[0]
}

func (p *Provider) handleDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	if !p.formPreamble(w, r) {
		return
	}
	aud, e := p.audienceParam(r.PostForm)
	if e != nil {
		writeOAuthError(w, http.StatusBadRequest, e)
		return
	}
	res := &store.Result{}
	extras := store.Request{Audience: aud, Result: res}
	buf := newBufferedResponse()
	p.op.ServeHTTP(buf, r.WithContext(store.WithRequest(r.Context(), extras)))
	retryAfter(buf, res)
	buf.flushTo(w)
}

// handleFormEndpoint fronts revocation.
func (p *Provider) handleFormEndpoint(w http.ResponseWriter, r *http.Request) {
	if p.formPreamble(w, r) {
		p.publicClientInParams(r)
		p.op.ServeHTTP(w, r)
	}
}

// publicClientInParams moves a public client's id from an HTTP Basic header
// with an empty secret (what golang.org/x/oauth2 sends first when it
// auto-detects the auth style) into the form. The library would try to
// authenticate it as a confidential client and fail, and the client's
// immediate retry would then count as a too-fast device poll.
func (p *Provider) publicClientInParams(r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || secret != "" {
		return
	}
	id, err := url.QueryUnescape(id)
	if err != nil {
		return
	}
	if c, known := p.store.Client(id); !known || !c.Public() {
		return
	}
	r.Header.Del("Authorization")
	r.PostForm.Set("client_id", id)
	r.Form.Set("client_id", id)
}

// handleIntrospect fronts RFC 7662 introspection, whose library handler
// answers every request error with plain text and 401; it is always a
// client-authentication failure, so say so in JSON.
func (p *Provider) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	if !p.formPreamble(w, r) {
		return
	}
	buf := newBufferedResponse()
	p.op.ServeHTTP(buf, r)
	if buf.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="hello sandbox"`)
		writeOAuthError(w, http.StatusUnauthorized, oidc.ErrInvalidClient().WithDescription("client authentication failed"))
		return
	}
	buf.flushTo(w)
}

// formPreamble accepts POST (and CORS preflights) with a well-formed body,
// and answers anything else with an OAuth error. It reports whether to go on.
func (p *Provider) formPreamble(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodOptions:
		return true
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "POST")
		writeOAuthError(w, http.StatusMethodNotAllowed, oidc.ErrInvalidRequest().WithDescription("use POST"))
		return false
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeOAuthError(w, http.StatusRequestEntityTooLarge, oidc.ErrInvalidRequest().WithDescription("request body too large"))
			return false
		}
		writeOAuthError(w, http.StatusBadRequest, oidc.ErrInvalidRequest().WithDescription("malformed form body"))
		return false
	}
	if name := repeatedParam(r.Form); name != "" {
		writeOAuthError(w, http.StatusBadRequest, oidc.ErrInvalidRequest().WithDescription("parameter %s given more than once", name))
		return false
	}
	return true
}

// handleUserinfo answers token problems the RFC 6750 way (401 with
// WWW-Authenticate) instead of the library's plain text or 403.
func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodOptions:
	default:
		w.Header().Set("Allow", "GET, POST")
		writeOAuthError(w, http.StatusMethodNotAllowed, oidc.ErrInvalidRequest().WithDescription("use GET or POST"))
		return
	}
	if r.Method != http.MethodOptions {
		// The query counts too: the library reads access_token from either.
		if err := r.ParseForm(); err != nil {
			writeOAuthError(w, http.StatusBadRequest, oidc.ErrInvalidRequest().WithDescription("malformed request parameters"))
			return
		}
		if name := repeatedParam(r.Form); name != "" {
			writeOAuthError(w, http.StatusBadRequest, oidc.ErrInvalidRequest().WithDescription("parameter %s given more than once", name))
			return
		}
	}
	if r.Method != http.MethodOptions && r.Header.Get("Authorization") == "" && r.PostFormValue("access_token") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hello sandbox"`)
		writeOAuthError(w, http.StatusUnauthorized, oidc.ErrInvalidRequest().WithDescription("access token missing"))
		return
	}
	buf := newBufferedResponse()
	p.op.ServeHTTP(buf, r)
	if buf.status == http.StatusUnauthorized || buf.status == http.StatusForbidden {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hello sandbox", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "access token invalid, expired or revoked"})
		return
	}
	buf.flushTo(w)
}

// handleEndSession implements RP-initiated logout. With a valid
// id_token_hint (GET, or the form hello posts) the browser's provider
// session ends at once, then the library redirects. Without one, any page
// could log the user out with a link, so the browser's session ends only
// after the user confirms on a CSRF-protected form; a browser with no
// session has nothing to lose and goes straight on. A return address
// outside the loopback allow-list is never followed: the user sees a page
// instead.
func (p *Provider) handleEndSession(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		p.methodNotAllowed(w, "GET, POST")
		return
	}
	const title = "You are logged out"
	if err := r.ParseForm(); err != nil {
		p.message(w, http.StatusBadRequest, "Logout failed", "The logout request was malformed, so you are still logged in.")
		return
	}
	// We check the first value of a parameter and the library would act
	// on the last: refuse the ambiguity, as at the other endpoints.
	if name := repeatedParam(r.Form); name != "" {
		p.message(w, http.StatusBadRequest, "Logout failed", "The logout request was not valid (invalid_request: parameter "+store.QuoteParam(name)+" given more than once), so you are still logged in.")
		return
	}
	ctx := op.ContextWithIssuer(r.Context(), p.cfg.Issuer)
	hinted := false
	if hint := r.Form.Get("id_token_hint"); hint != "" {
		// The library accepts an expired hint (it still names the user) but
		// nothing unsigned or foreign; neither do we.
		_, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, hint, p.op.IDTokenHintVerifier(ctx))
		if err != nil && !errors.As(err, &op.IDTokenHintExpiredError{}) {
			p.log.Info("end_session refused", "detail", err.Error())
			p.message(w, http.StatusBadRequest, "Logout failed", "The logout request was not valid (unknown id_token_hint), so you are still logged in.")
			return
		}
		hinted = true
	}
	uri := r.Form.Get("post_logout_redirect_uri")
	if !hinted {
		if uri != "" && !store.IsLoopbackCallback(uri, "/") {
			p.message(w, http.StatusBadRequest, "Logout failed", "The return address is not allowed, so you are still logged in.")
			return
		}
		confirmed := r.Method == http.MethodPost && r.PostForm.Get("confirm") == "1"
		if confirmed && !p.checkCSRF(r) {
			p.errorPage(w, http.StatusForbidden, msgFormExpired)
			return
		}
		if _, u, ok := p.currentSession(r); ok && !confirmed {
			p.confirmLogout(ctx, w, r, u)
			return
		}
	}
	p.endBrowserSession(w, r)
	if uri != "" && !store.IsLoopbackCallback(uri, "/") {
		p.message(w, http.StatusBadRequest, title, "You are logged out. The return address is not allowed, so you stay here.")
		return
	}
	buf := newBufferedResponse()
	p.op.ServeHTTP(buf, r)
	if buf.status == http.StatusFound {
		buf.flushTo(w)
		return
	}
	p.log.Info("end_session refused", "status", buf.status, "detail", strings.TrimSpace(buf.body.String()))
	p.message(w, http.StatusBadRequest, title, "You are logged out. The logout request was not valid (for example an unknown client or return address), so you stay here.")
}

// confirmLogout asks a logged-in browser whether to log out, for an
// end_session request without a valid id_token_hint. The form carries the
// request's parameters on, so after the confirmation the library validates
// and follows the return address as usual. A request the library would
// refuse is refused now, with the session kept.
func (p *Provider) confirmLogout(ctx context.Context, w http.ResponseWriter, r *http.Request, u store.User) {
	req, err := op.ParseEndSessionRequest(r, p.op.Decoder())
	if err == nil {
		req.IdTokenHint = ""
		_, err = op.ValidateEndSessionRequest(ctx, req, p.op)
	}
	if err != nil {
		p.log.Info("end_session refused", "detail", err.Error())
		p.message(w, http.StatusBadRequest, "Logout failed", "The logout request was not valid (for example an unknown client or return address), so you are still logged in.")
		return
	}
	csrf, err := p.csrfToken(w, r)
	if err != nil {
		p.errorPage(w, http.StatusInternalServerError, "Could not prepare the form.")
		return
	}
	d := pageData{Title: "Log out of the hello sandbox?", CSRF: csrf, User: u.Email}
	for _, name := range []string{"client_id", "post_logout_redirect_uri", "state", "ui_locales", "logout_hint"} {
		if v := r.Form.Get(name); v != "" {
			d.Hidden = append(d.Hidden, hiddenField{Name: name, Value: v})
		}
	}
	p.render(w, http.StatusOK, "logout", d)
}

func (p *Provider) handleStats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeOAuthError(w, http.StatusMethodNotAllowed, oidc.ErrInvalidRequest().WithDescription("use GET"))
		return
	}
	writeJSON(w, http.StatusOK, p.Stats())
}

// writeOAuthError writes an RFC 6749 §5.2 error body.
func writeOAuthError(w http.ResponseWriter, status int, e *oidc.Error) {
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// bufferedResponse captures a library response so a wrapper can inspect
// it before anything reaches the client.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse { return &bufferedResponse{header: http.Header{}} }

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedResponse) flushTo(w http.ResponseWriter) {
	for k, vs := range b.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = b.body.WriteTo(w)
}

// retryAfter turns the library's answer to a request the storage refused
// for lack of room into a retryable one: Retry-After, and instead of a 400,
// 429 when the client's or user's share is used up (only they are refused)
// or 503 when the whole table is full. A redirect (to the application,
// with error=temporarily_unavailable) keeps its status.
func retryAfter(buf *bufferedResponse, res *store.Result) {
	if res.RetryAfter <= 0 {
		return
	}
	secs := int((res.RetryAfter + time.Second - 1) / time.Second)
	buf.header.Set("Retry-After", strconv.Itoa(secs))
	if buf.status == http.StatusBadRequest {
		buf.status = http.StatusTooManyRequests
		if res.Global {
			buf.status = http.StatusServiceUnavailable
		}
	}
}
