package config

import (
	"fmt"
	"strings"
)

// A client secret written in a config-file section belongs to the issuer that
// same section names. A HELLO_ISSUER exported from the sandbox, or an
// --issuer/--domain typed for another provider, must not make hello hand a
// production secret to that other server: the secret is then withheld, and
// every request that would authenticate the client fails with
// SecretIssuerError before anything is sent. A secret from HELLO_CLIENT_SECRET
// is the user's explicit choice for the issuer in effect and is kept.

// SecretIssuerError says why a client secret from the config file was
// withheld. The caller maps it to exit code 2.
type SecretIssuerError struct {
	Section      string // "AUTH0" or "profile prod"
	File         string // the config file
	SecretIssuer string // the issuer the section names (or the default)
	Issuer       string // the issuer in effect
	IssuerSource string // "environment HELLO_ISSUER", "flag --domain", ...
}

func (e *SecretIssuerError) Error() string {
	return fmt.Sprintf("the client secret in [%s] of %s is for %s, but the issuer is %s from %s, so hello did not send it: set HELLO_CLIENT_SECRET to that issuer's secret, or %s",
		e.Section, e.File, e.SecretIssuer, e.Issuer, e.IssuerSource, undo(e.IssuerSource))
}

// undo says how to drop the override named by source.
func undo(source string) string {
	if v, ok := strings.CutPrefix(source, "environment "); ok {
		return "unset " + v + " to use the file's issuer"
	}
	if f, ok := strings.CutPrefix(source, "flag "); ok {
		return "drop " + f + " to use the file's issuer"
	}
	return "remove the override to use the file's issuer"
}

// bindSecret withholds a secret read from the config file when the issuer
// in effect is not the one its section names. secret is the resolved secret.
func (r *resolver) bindSecret(s *Settings, secret value) {
	if secret.level != levelFile {
		return
	}
	own := &Settings{Sources: map[string]string{}}
	iss, dom := r.fileOnly(keys()[KeyIssuer]), r.fileOnly(keys()[KeyDomain])
	sectionIssuer := ""
	if err := resolveIssuer(own, iss, dom); err == nil {
		sectionIssuer = own.Issuer
	}
	if sectionIssuer != "" && sameIssuer(sectionIssuer, s.Issuer) {
		return
	}
	if sectionIssuer == "" {
		// The section's own issuer is unusable (both ISSUER and DOMAIN, or
		// a bad value) yet something overrides it: bind to nothing.
		sectionIssuer = "no valid issuer"
	}
	section := strings.ToUpper(keys()[KeyClientSecret].section)
	if r.profile != "" && r.profile != DefaultProfile {
		section = profileSection(r.profile)
	}
	s.ClientSecret = ""
	s.SecretWithheld = &SecretIssuerError{
		Section:      section,
		File:         r.file,
		SecretIssuer: sectionIssuer,
		Issuer:       s.Issuer,
		IssuerSource: s.Sources[KeyIssuer],
	}
}

// sameIssuer compares issuers, forgiving only a trailing slash: DOMAIN gives
// https://DOMAIN/ and people write --issuer https://DOMAIN.
func sameIssuer(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// fileOnly is lookup restricted to the config file layer.
func (r *resolver) fileOnly(k key) value {
	sub := &resolver{getenv: func(string) (string, bool) { return "", false }, v: r.v, file: r.file, profile: r.profile}
	k.def = ""
	return sub.lookup(k)
}
