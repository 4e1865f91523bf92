package token

import (
	"testing"
	"time"
)

func TestMarginScalesWithLifetime(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		lifetime time.Duration
		want     time.Duration
	}{
		{time.Hour, MaxMargin},
		{100 * time.Second, MaxMargin},
		{30 * time.Second, 3 * time.Second},
		{5 * time.Second, 500 * time.Millisecond},
		{2 * time.Second, 200 * time.Millisecond},
		{0, MaxMargin}, // unknown
	} {
		tok := &Token{AccessToken: "a", IssuedAt: now}
		if tc.lifetime > 0 {
			tok.Expiry = now.Add(tc.lifetime)
		}
		if got := tok.Margin(); got != tc.want {
			t.Errorf("lifetime %v: margin %v, want %v", tc.lifetime, got, tc.want)
		}
		// A token fresh from the provider is never "expiring".
		if tc.lifetime > 0 && !tok.Fresh(now) {
			t.Errorf("lifetime %v: a token just issued is not fresh", tc.lifetime)
		}
	}
}

func TestValidFor(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		t    *Token
		d    time.Duration
		want bool
	}{
		{"nil", nil, 0, false},
		{"no access token", &Token{Expiry: now.Add(time.Hour)}, 0, false},
		{"fresh", &Token{AccessToken: "a", Expiry: now.Add(time.Hour)}, time.Minute, true},
		{"expires within d", &Token{AccessToken: "a", Expiry: now.Add(30 * time.Second)}, time.Minute, false},
		{"expires exactly at d", &Token{AccessToken: "a", Expiry: now.Add(time.Minute)}, time.Minute, false},
		{"expired", &Token{AccessToken: "a", Expiry: now.Add(-time.Second)}, 0, false},
		{"no expiry", &Token{AccessToken: "a"}, time.Minute, true},
	} {
		if got := tc.t.ValidFor(now, tc.d); got != tc.want {
			t.Errorf("%s: ValidFor = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRenewable(t *testing.T) {
	t.Parallel()
	if !(&Token{RefreshToken: "r"}).Renewable(false) {
		t.Error("a refresh token is renewable")
	}
	cc := &Token{Grant: GrantClientCredentials}
	if cc.Renewable(false) || !cc.Renewable(true) {
		t.Error("client credentials are renewable exactly when the secret is at hand")
	}
	if (&Token{Grant: GrantAuthorizationCode}).Renewable(true) {
		t.Error("a login without refresh token is not renewable")
	}
}

func TestOAuth2(t *testing.T) {
	t.Parallel()
	o := (&Token{AccessToken: "a", TokenType: "Bearer", IDToken: "i"}).OAuth2()
	if o.AccessToken != "a" || o.Extra("id_token") != "i" || o.Type() != "Bearer" {
		t.Errorf("OAuth2() = %+v", o)
	}
}
