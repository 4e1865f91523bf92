// Package config resolves hello's settings from flags, the environment
// (HELLO_*), the seed web app's INI `.config` file and built-in defaults, in
// that order of precedence, and validates them before any network call.
package config

import (
	"fmt"
	"maps"
	"strings"
)

// Built-in defaults, the one place they are written. They point at
// `hello sandbox`, so a new user can run the whole flow with no
// configuration, no account and no network.
const (
	// SandboxProviderAddr and SandboxAPIAddr are where `hello sandbox`
	// listens by default; DefaultIssuer and DefaultAPIURL reach them.
	SandboxProviderAddr = "127.0.0.1:5055"
	SandboxAPIAddr      = "127.0.0.1:6060"
	DefaultIssuer       = "http://" + SandboxProviderAddr
	DefaultClientID     = "hello-cli"
	DefaultAudience     = "https://hello-world.example.com"
	DefaultAPIURL       = "http://localhost:6060"
	DefaultOutput       = OutputText
	// DefaultCallbackPort is the loopback port of the login callback
	// (http://localhost:4040/callback) and of the post-logout page: the
	// redirect URIs registered with the provider name it.
	DefaultCallbackPort = 4040
)

// Token storages accepted by --token-storage: auto uses the OS keyring when
// one answers and otherwise plain files (saying so once), keyring insists
// on it, file never touches it.
const (
	TokenStorageAuto    = "auto"
	TokenStorageKeyring = "keyring"
	TokenStorageFile    = "file"
	DefaultTokenStorage = TokenStorageAuto
)

// TokenStorages lists the values --token-storage accepts, for validation and completion.
func TokenStorages() []string {
	return []string{TokenStorageAuto, TokenStorageKeyring, TokenStorageFile}
}

// Output formats accepted by -o/--output.
const (
	OutputText = "text"
	OutputJSON = "json"
)

// OutputFormats lists the values -o/--output accepts, for shell completion.
func OutputFormats() []string { return []string{OutputText, OutputJSON} }

// redacted replaces the client secret wherever Settings are shown.
const redacted = "[redacted]"

// Settings is the resolved, validated configuration.
type Settings struct {
	// Issuer is the OpenID issuer URL exactly as configured (trimmed), or
	// https://DOMAIN/ when it came from Domain, or DefaultIssuer.
	Issuer string
	// Domain is the Auth0 domain the issuer was derived from, "" when the
	// issuer was given directly or is the default.
	Domain       string
	ClientID     string
	ClientSecret string `json:"-"` // never printed: see String and Redacted
	// SecretWithheld is set, and ClientSecret empty, when the config file's
	// secret belongs to another issuer than the one in effect (see
	// bindSecret): whatever needs the secret must fail with it.
	SecretWithheld *SecretIssuerError `json:"-"`
	// Audience is "" only when the user explicitly asked for none with
	// --audience ""; then no audience parameter is sent.
	Audience string
	// APIURL is the Hello World API base URL without a trailing slash.
	APIURL string
	Output string
	// CAFile is a PEM file of extra root certificates, already checked to
	// contain at least one certificate; "" when none.
	CAFile string
	// TokenStorage is auto, keyring or file (see TokenStorages); "" when
	// not configured, which means DefaultTokenStorage.
	TokenStorage string
	// ConfigFile is the config file actually read, "" when none.
	ConfigFile string
	// Profile is the named profile in use, the name of a [profile NAME]
	// section; "" for the default profile (see ProfileName). When a flag or
	// HELLO_PROFILE chose it, Sources["profile"] says which.
	Profile string
	// Sandbox is true when neither issuer nor domain was configured anywhere.
	Sandbox bool
	// Sources maps each key that has a value (issuer, domain, client_id,
	// client_secret, audience, api_url, output, ca_file, config) to where
	// the value came from, e.g. "environment HELLO_ISSUER" or "default".
	Sources map[string]string
	// Warnings are notes for stderr, such as unknown keys in the config file.
	Warnings []string

	// Provider is how the provider wants the API and offline access asked
	// for: ProviderAuto or "" (detect Auth0), ProviderAuth0 or ProviderStandard.
	Provider string
	// PAR is "true" to push every authorization request (RFC 9126) where
	// the provider can take it, "false" or "" otherwise.
	PAR string
}

// Provider dialects accepted by PROVIDER / HELLO_PROVIDER.
const (
	ProviderAuto     = "auto"
	ProviderAuth0    = "auth0"
	ProviderStandard = "standard"
)

// Redacted returns a copy safe to print or encode: the client secret, when
// set, is replaced by a placeholder.
func (s Settings) Redacted() Settings {
	if s.ClientSecret != "" {
		s.ClientSecret = redacted
	}
	s.Sources = maps.Clone(s.Sources)
	s.Warnings = append([]string(nil), s.Warnings...)
	return s
}

// String lists the settings with the client secret redacted, so a stray
// fmt.Print or log line cannot leak it.
func (s Settings) String() string {
	r := s.Redacted()
	var b strings.Builder
	for _, f := range []struct{ name, value string }{
		{"profile", r.Profile},
		{"issuer", r.Issuer},
		{"domain", r.Domain},
		{"client_id", r.ClientID},
		{"client_secret", r.ClientSecret},
		{"audience", r.Audience},
		{"api_url", r.APIURL},
		{"output", r.Output},
		{"ca_file", r.CAFile},
		{"provider", r.Provider},
		{"par", r.PAR},
		{"token_storage", r.TokenStorage},
		{"config", r.ConfigFile},
	} {
		if f.value == "" {
			continue
		}
		fmt.Fprintf(&b, "%s=%q", f.name, f.value)
		if src := r.Sources[f.name]; src != "" {
			fmt.Fprintf(&b, " (%s)", src)
		}
		b.WriteByte('\n')
	}
	if r.Sandbox {
		b.WriteString("sandbox=true\n")
	}
	return b.String()
}

// GoString keeps %#v from bypassing String and printing the secret.
func (s Settings) GoString() string { return "config.Settings{\n" + s.String() + "}" }
