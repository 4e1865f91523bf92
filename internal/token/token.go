// Package token holds the one token type of hello's client half: what the
// provider's token endpoint returned, as it travels to the cache and back.
package token

import (
	"time"

	"golang.org/x/oauth2"
)

// How a session began, recorded in Token.Grant.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantDeviceCode        = "device_code"
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

// MaxMargin is the longest renewal margin: a token is renewed when less than
// its margin remains, so that it does not expire between the check and the
// API call.
const MaxMargin = 10 * time.Second

// Token is a token response. The zero Expiry means the provider gave no
// lifetime; IssuedAt is when hello received it.
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	IDToken      string    `json:"id_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	IssuedAt     time.Time `json:"issued_at,omitzero"`
	Scopes       []string  `json:"scopes,omitempty"`
	// Grant is how the session began: a refresh keeps the original grant.
	Grant string `json:"grant"`
	// IDTokenRejected is why the ID token of this renewal's answer was
	// dropped (it failed verification); IDToken is then the previous one.
	// It concerns this answer only and is never saved.
	IDTokenRejected error `json:"-"`
}

// Lifetime is how long the access token was issued for; zero when unknown.
func (t *Token) Lifetime() time.Duration {
	if t.Expiry.IsZero() || t.IssuedAt.IsZero() || !t.Expiry.After(t.IssuedAt) {
		return 0
	}
	return t.Expiry.Sub(t.IssuedAt)
}

// Margin scales with the lifetime: a tenth of it, at most MaxMargin. A fixed
// margin longer than the lifetime would call every fresh token "expiring",
// and processes would refresh one after another instead of sharing one
// renewal. Unknown lifetimes get MaxMargin.
func (t *Token) Margin() time.Duration {
	l := t.Lifetime()
	if l == 0 {
		return MaxMargin
	}
	return min(l/10, MaxMargin)
}

// ValidFor reports whether the access token is present and has more than d
// left at now. A zero Expiry counts as not expiring, as in x/oauth2: an API
// that refuses the token with 401 still triggers a renewal.
func (t *Token) ValidFor(now time.Time, d time.Duration) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || now.Add(d).Before(t.Expiry)
}

// Fresh is ValidFor with the token's own margin.
func (t *Token) Fresh(now time.Time) bool { return t.ValidFor(now, t.Margin()) }

// Renewable reports whether a new access token can be had without a person:
// with a refresh token, or by minting one with the client credentials (which
// needs the secret at hand: haveSecret).
func (t *Token) Renewable(haveSecret bool) bool {
	return t.RefreshToken != "" || (t.Grant == GrantClientCredentials && haveSecret)
}

// OAuth2 is t as x/oauth2 sees it.
func (t *Token) OAuth2() *oauth2.Token {
	o := &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
	if t.IDToken != "" {
		o = o.WithExtra(map[string]any{"id_token": t.IDToken})
	}
	return o
}
