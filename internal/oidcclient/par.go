package oidcclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hello-cli/hello/internal/httperr"
)

// ErrNoPAR: --par was asked for, and the provider advertises no pushed
// authorization request endpoint.
var ErrNoPAR = errors.New("the provider has no pushed authorization request endpoint (RFC 9126): log in without --par")

// ClientAuth is how a client authenticates at a provider's back-channel
// endpoints. A public client (no secret) names itself with client_id in
// the body; a confidential one uses HTTP Basic, or the body when Basic is
// not among the provider's methods.
type ClientAuth struct {
	ClientID     string
	ClientSecret string
	InBody       bool // client_secret_post instead of client_secret_basic
}

func (a ClientAuth) apply(req *http.Request, form url.Values) {
	form.Set("client_id", a.ClientID)
	switch {
	case a.ClientSecret == "":
	case a.InBody:
		form.Set("client_secret", a.ClientSecret)
	default:
		// RFC 6749 §2.3.1: both halves form-encoded before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(a.ClientID), url.QueryEscape(a.ClientSecret))
	}
}

// post is a form POST to endpoint, the client authenticated.
func (a ClientAuth) post(ctx context.Context, endpoint string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return nil, err
	}
	a.apply(req, form)
	body := form.Encode()
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// PushedRequest is a pushed authorization request (RFC 9126).
type PushedRequest struct {
	Endpoint string       // pushed_authorization_request_endpoint
	Auth     ClientAuth   // the client's authentication
	HTTP     *http.Client // http.DefaultClient when nil
	Now      func() time.Time
}

// PushFor sends the parameters of authURL (an authorization request built
// as usual, e.g. by oauth2.Config.AuthCodeURL) to the PAR endpoint and
// returns the URL the browser opens instead: the authorization endpoint
// with only client_id and the request_uri the provider gave. The request's
// contents (PKCE challenge, nonce, resource, prompt) thus never pass
// through the browser, and a provider that requires PAR gets it. It also
// returns how long the provider keeps the request (its expires_in; zero
// when it gave none): the URL is useless after that, which a person
// carrying it to another machine must know.
func (p PushedRequest) PushFor(ctx context.Context, authURL string) (string, time.Duration, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", 0, fmt.Errorf("pushed authorization request: %w", err)
	}
	req, err := p.Auth.post(ctx, p.Endpoint, u.Query())
	if err != nil {
		return "", 0, fmt.Errorf("pushed authorization request: %w", err)
	}
	hc := p.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, unreachable(httperr.PAR, err)
	}
	defer resp.Body.Close()
	// RFC 9126 §2.2: 201 Created; some providers answer 200.
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		now := time.Now
		if p.Now != nil {
			now = p.Now
		}
		return "", 0, httperr.FromResponse(httperr.PAR, resp, now())
	}
	var out struct {
		RequestURI string `json:"request_uri"`
		ExpiresIn  int64  `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&out); err != nil {
		return "", 0, fmt.Errorf("pushed authorization request: read the answer: %w", err)
	}
	if out.RequestURI == "" {
		return "", 0, errors.New("pushed authorization request: the provider returned no request_uri")
	}
	// §4: only client_id and request_uri; the rest is at the provider.
	u.RawQuery = url.Values{"client_id": {p.Auth.ClientID}, "request_uri": {out.RequestURI}}.Encode()
	return u.String(), time.Duration(max(out.ExpiresIn, 0)) * time.Second, nil
}

// pushedLinkNotice is the sentence that follows a printed URL of a pushed
// request: how long it works, or "" when the provider did not say.
func pushedLinkNotice(lifetime time.Duration) string {
	if lifetime <= 0 {
		return ""
	}
	return fmt.Sprintf("It works for %s (a pushed request, RFC 9126): open it before then, or run \"hello login\" again for a new one.", lifetime)
}
