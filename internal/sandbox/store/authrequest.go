package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// PromptCreate is the OpenID Connect "Prompt Create" value that asks for the
// sign-up screen. The library does not define it.
const PromptCreate = "create"

// AuthRequest is a pending /authorize request (op.AuthRequest). Storage hands
// out copies, so the library never shares one with a concurrent login.
type AuthRequest struct {
	id            string
	created       time.Time
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge
	prompt        []string
	maxAge        *uint
	loginHint     string
	audience      string
	screenHint    string

	// Set when the user has authenticated. sessionID is the browser
	// session that did it: only that browser may collect the code.
	subject   string
	authTime  time.Time
	sessionID string
	done      bool

	code      string // the issued authorization code, once there is one
	exchanged bool   // tokens issued; the code is spent
	// opened is set when a browser first loads the login (or sign-up)
	// page for the request. Until then it is cheap to drop: see
	// UnusedAuthRequestTTL.
	opened bool

	phase tokenPhase // of the copy the library is making tokens from
}

func (a *AuthRequest) apiAudience() []string { return apiAudience(a.audience, a.clientID) }

func (a *AuthRequest) GetID() string                         { return a.id }
func (a *AuthRequest) GetACR() string                        { return "" }
func (a *AuthRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *AuthRequest) GetAudience() []string                 { return a.phase.audience(a.apiAudience(), a.clientID) }
func (a *AuthRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *AuthRequest) GetClientID() string                   { return a.clientID }
func (a *AuthRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *AuthRequest) GetNonce() string                      { return a.nonce }
func (a *AuthRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *AuthRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *AuthRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *AuthRequest) GetScopes() []string                   { return a.scopes }
func (a *AuthRequest) GetState() string                      { return a.state }
func (a *AuthRequest) GetSubject() string                    { return a.subject }
func (a *AuthRequest) Done() bool                            { return a.done }

// SessionID is the browser session that completed the request, if any.
func (a *AuthRequest) SessionID() string { return a.sessionID }

// LoginHint is the login_hint parameter, to prefill the form.
func (a *AuthRequest) LoginHint() string { return a.loginHint }

// Prompts are the prompt values asked for.
func (a *AuthRequest) Prompts() []string { return a.prompt }

// MaxAge is the max_age parameter, nil when absent.
func (a *AuthRequest) MaxAge() *uint { return a.maxAge }

// wantsSignup reports whether the client asked for the sign-up screen.
func (a *AuthRequest) WantsSignup() bool {
	return a.screenHint == "signup" || slices.Contains(a.prompt, PromptCreate)
}

// ErrNotFound marks lookups of unknown or expired ids.
var ErrNotFound = errors.New("not found or expired")

// ErrAlreadyDone refuses to complete an auth request a second time.
var ErrAlreadyDone = errors.New("auth request already completed")

// MaxParamLen bounds each free-text /authorize parameter we store (state,
// nonce, login_hint, ...). Legitimate values are tens of bytes; without a
// bound every pending request could hold up to the URL size limit (1 MiB).
const MaxParamLen = 1024

// maxPromptValues bounds the prompt list; only a handful of values exist.
const maxPromptValues = 8

// ErrTemporarilyUnavailable is RFC 6749 §4.1.2.1's answer when the provider
// is too busy: here, when a table of pending requests is full. The library
// has no constructor for it.
func ErrTemporarilyUnavailable(desc string) *oidc.Error {
	return (&oidc.Error{ErrorType: "temporarily_unavailable"}).WithDescription("%s", desc)
}

// checkAuthParams refuses oversized free-text parameters with
// invalid_request. An oversized state is also cleared from req: the library
// echoes req.State in the error redirect, and the point is not to carry it.
func checkAuthParams(req *oidc.AuthRequest, screenHint string) *oidc.Error {
	for _, p := range []struct{ name, value string }{
		{"state", req.State},
		{"nonce", req.Nonce},
		{"login_hint", req.LoginHint},
		{"code_challenge", req.CodeChallenge},
		{"screen_hint", screenHint},
		{"prompt", strings.Join(req.Prompt, " ")},
	} {
		if len(p.value) > MaxParamLen {
			if p.name == "state" {
				req.State = ""
			}
			return oidc.ErrInvalidRequest().WithDescription("%s is too long (at most %d bytes)", p.name, MaxParamLen)
		}
	}
	if len(req.Prompt) > maxPromptValues {
		return oidc.ErrInvalidRequest().WithDescription("too many prompt values")
	}
	return nil
}

// CreateAuthRequest stores a validated /authorize request. On top of the
// library's checks it enforces our policy for the public client: a strict
// loopback redirect and PKCE with S256.
func (s *Store) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	c, ok := s.clients[req.ClientID]
	if !ok {
		return nil, oidc.ErrInvalidRequestRedirectURI().WithDescription("unknown client_id %s", QuoteParam(req.ClientID))
	}
	if c.Public() {
		if !IsLoopbackCallback(req.RedirectURI, "/callback") {
			return nil, oidc.ErrInvalidRequestRedirectURI().WithDescription(
				"redirect_uri must be http://localhost, 127.0.0.1 or [::1] with a port and the path /callback")
		}
		if req.CodeChallenge == "" {
			return nil, oidc.ErrInvalidRequest().WithDescription("PKCE is required: send code_challenge with code_challenge_method=S256")
		}
		if req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
			return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
		}
	}
	extras := requestFrom(ctx)
	if extras.Audience != "" && extras.Audience != s.cfg.Audience {
		return nil, oidc.ErrInvalidTarget().WithDescription("unknown audience")
	}
	if e := checkAuthParams(req, extras.ScreenHint); e != nil {
		return nil, e
	}
	id, err := randomToken()
	if err != nil {
		return nil, err
	}
	ar := &AuthRequest{
		id:           id,
		created:      s.now(),
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		scopes:       dedupe(req.Scopes), // "openid openid ..." must not cost memory either
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		prompt:       dedupe(req.Prompt),
		maxAge:       req.MaxAge,
		loginHint:    req.LoginHint,
		audience:     extras.Audience,
		screenHint:   extras.ScreenHint,
	}
	if req.CodeChallenge != "" {
		ar.codeChallenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Everyone is 127.0.0.1, so a flood of /authorize cannot be told from
	// people by address. It can by use: a browser loads the login page at
	// once, a flood does not. So a full share first drops its oldest
	// request nobody opened; requests someone is completing are never
	// dropped, and only when all are in use is the newcomer refused.
	s.authRequests.expireUnused(ar.created, UnusedAuthRequestTTL)
	f, evicted := s.authRequests.makeRoom(ar.clientID, ar.created)
	if evicted > 0 {
		s.noteEvicted("the oldest unopened pending sign-ins", ar.clientID, evicted)
	}
	if f.full {
		return nil, s.busy(ctx, "pending sign-ins", ar.clientID, f, "too many sign-ins in progress; try again in a few minutes")
	}
	s.authRequests.add(id, ar.clientID, ar, ar.created)
	cp := *ar
	return &cp, nil
}

// dedupe returns the distinct values of list, in order.
func dedupe(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func (s *Store) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	ar, err := s.AuthRequest(id)
	if err != nil {
		return nil, err
	}
	return ar, nil
}

// AuthRequest returns a copy of a live auth request.
func (s *Store) AuthRequest(id string) (*AuthRequest, error) {
	return s.authRequest(id, false)
}

// OpenAuthRequest is AuthRequest for the login and sign-up pages: it
// marks the request as in use by a person, so that a flood of new ones
// cannot push it out.
func (s *Store) OpenAuthRequest(id string) (*AuthRequest, error) {
	return s.authRequest(id, true)
}

func (s *Store) authRequest(id string, open bool) (*AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.authRequests.expireUnused(now, UnusedAuthRequestTTL)
	ar, ok := s.authRequests.get(id)
	if !ok || now.Sub(ar.created) > AuthRequestTTL {
		return nil, ErrNotFound
	}
	if open {
		ar.opened = true
	}
	cp := *ar
	return &cp, nil
}

// AuthRequestByCode starts a code exchange. The library calls it once per
// token request, before it checks the code_verifier, client and
// redirect_uri, and tells storage nothing when those checks fail. So the
// code is spent here, on first presentation: a failed exchange (wrong
// verifier or redirect_uri) leaves nothing to retry with, as RFC 6749 §10.5
// asks. A successful exchange deletes the request anyway.
func (s *Store) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.codes[code]
	if !ok {
		return nil, ErrNotFound
	}
	delete(s.codes, code)
	ar, ok := s.authRequests.get(id)
	if !ok || ar.exchanged || s.now().Sub(ar.created) > AuthRequestTTL {
		return nil, ErrNotFound
	}
	ar.code = ""
	cp := *ar
	return &cp, nil
}

func (s *Store) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authRequests.get(id)
	if !ok {
		return oidc.ErrInvalidRequest().WithDescription("auth request expired")
	}
	if ar.code != "" {
		delete(s.codes, ar.code)
	}
	ar.code = code
	s.codes[code] = id
	return nil
}

func (s *Store) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authRequests.delete(id) // and its code
	return nil
}

// CompleteAuthRequest records that the user authenticated in the browser
// session sessionID, so the library's callback can issue the code to that
// browser (and only to it: see handleAuthorizeCallback). A request is
// completed once: a second completion by another session or user is
// refused, so nobody can swap the subject of a finished sign-in. The same
// session completing it again (a reload) changes nothing.
func (s *Store) CompleteAuthRequest(id, sessionID, subject string, authTime time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authRequests.get(id)
	if !ok || s.now().Sub(ar.created) > AuthRequestTTL {
		return ErrNotFound
	}
	if ar.done {
		if ar.sessionID == sessionID && ar.subject == subject {
			return nil
		}
		return ErrAlreadyDone
	}
	ar.subject = subject
	ar.authTime = authTime
	ar.sessionID = sessionID
	ar.done = true
	return nil
}
