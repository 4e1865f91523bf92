package idp

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// PromptCreate is the OpenID Connect "Prompt Create" value that asks for the
// sign-up screen. The library does not define it.
const PromptCreate = "create"

// authRequest is a pending /authorize request (op.AuthRequest). Storage hands
// out copies, so the library never shares one with a concurrent login.
type authRequest struct {
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

	// Set when the user has authenticated.
	subject  string
	authTime time.Time
	done     bool

	code      string // the issued authorization code, once there is one
	exchanged bool   // tokens issued; the code is spent
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return audienceList(a.audience, a.clientID) }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

// wantsSignup reports whether the client asked for the sign-up screen.
func (a *authRequest) wantsSignup() bool {
	return a.screenHint == "signup" || slices.Contains(a.prompt, PromptCreate)
}

// errNotFound marks lookups of unknown or expired ids.
var errNotFound = errors.New("not found or expired")

// CreateAuthRequest stores a validated /authorize request. On top of the
// library's checks it enforces our policy for the public client: a strict
// loopback redirect and PKCE with S256.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	c, ok := s.clients[req.ClientID]
	if !ok {
		return nil, oidc.ErrInvalidRequestRedirectURI().WithDescription("unknown client")
	}
	if c.public() {
		if !isLoopbackCallback(req.RedirectURI, "/callback") {
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
	extras := extrasFrom(ctx)
	if extras.audience != "" && extras.audience != s.cfg.Audience {
		return nil, oidc.ErrInvalidTarget().WithDescription("unknown audience")
	}
	id, err := randomToken()
	if err != nil {
		return nil, err
	}
	ar := &authRequest{
		id:           id,
		created:      time.Now(),
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		scopes:       slices.Clone(req.Scopes),
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		prompt:       slices.Clone(req.Prompt),
		maxAge:       req.MaxAge,
		loginHint:    req.LoginHint,
		audience:     extras.audience,
		screenHint:   extras.screenHint,
	}
	if req.CodeChallenge != "" {
		ar.codeChallenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(ar.created)
	s.authRequests[id] = ar
	cp := *ar
	return &cp, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	ar, err := s.authRequest(id)
	if err != nil {
		return nil, err
	}
	return ar, nil
}

// authRequest returns a copy of a live auth request.
func (s *storage) authRequest(id string) (*authRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authRequests[id]
	if !ok || time.Since(ar.created) > authRequestTTL {
		return nil, errNotFound
	}
	cp := *ar
	return &cp, nil
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.codes[code]
	if !ok {
		return nil, errNotFound
	}
	ar, ok := s.authRequests[id]
	if !ok || ar.exchanged || time.Since(ar.created) > authRequestTTL {
		return nil, errNotFound
	}
	cp := *ar
	return &cp, nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authRequests[id]
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

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ar, ok := s.authRequests[id]; ok && ar.code != "" {
		delete(s.codes, ar.code)
	}
	delete(s.authRequests, id)
	return nil
}

// completeAuthRequest records that the user authenticated, so the library's
// callback can issue the code.
func (s *storage) completeAuthRequest(id, subject string, authTime time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authRequests[id]
	if !ok || time.Since(ar.created) > authRequestTTL {
		return errNotFound
	}
	ar.subject = subject
	ar.authTime = authTime
	ar.done = true
	return nil
}
