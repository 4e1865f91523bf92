package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/hello-cli/hello/pkg/termsafe"
)

// Setting keys, as used in Sources and *Error.Key.
const (
	KeyIssuer       = "issuer"
	KeyDomain       = "domain"
	KeyClientID     = "client_id"
	KeyClientSecret = keySecret
	KeyAudience     = "audience"
	KeyAPIURL       = "api_url"
	KeyOutput       = "output"
	KeyCAFile       = "ca_file"
	KeyConfig       = "config"
	KeyProvider     = "provider"
	KeyPAR          = "par"
	KeyTokenStorage = "token_storage"
)

// level orders the places a value can come from; higher wins.
type level int

const (
	levelUnset level = iota
	levelDefault
	levelFile
	levelEnv
	levelFlag
)

// key describes where one setting can be given.
type key struct {
	name    string // Key* constant; the environment variable is derived from it
	flag    string // "" when there is no flag
	section string // INI section, "" when the file cannot set it
	iniKey  string // INI key in section
	def     string // built-in default, "" for none
}

// value is a setting as found, with its origin.
type value struct {
	key    string
	val    string
	level  level
	source string // "flag --issuer", "environment HELLO_ISSUER", ...
	file   string // config file path when level == levelFile
}

func (v value) set() bool { return v.level != levelUnset }

// envName is the environment variable for a key, following viper's rule for
// SetEnvPrefix("HELLO") with a '-' → '_' key replacer.
func envName(name string) string {
	return "HELLO_" + strings.ToUpper(strings.NewReplacer("-", "_").Replace(name))
}

// resolver looks a key up in each layer, highest precedence first.
//
// Viper reads the environment only through os.LookupEnv, which would make
// tests touch the real environment and stop them running in parallel, so the
// environment layer is read here through Loader.Getenv using viper's naming
// rule; the viper instance holds the config file layer.
type resolver struct {
	flags  *pflag.FlagSet // may be nil
	getenv func(string) (string, bool)
	v      *viper.Viper
	file   string // config file read into v, "" when none
	// profile is the profile whose section the file layer reads; the
	// default profile reads [AUTH0] and [WEBAPP].
	profile string
}

func (r *resolver) lookup(k key) value {
	if r.flags != nil && k.flag != "" && r.flags.Changed(k.flag) {
		f := r.flags.Lookup(k.flag)
		// An explicit flag counts even when empty: --audience "" turns the
		// audience off, and an empty --issuer is reported, not ignored.
		return value{key: k.name, val: strings.TrimSpace(f.Value.String()), level: levelFlag, source: "flag --" + k.flag}
	}
	env := envName(k.name)
	if s, ok := r.getenv(env); ok && strings.TrimSpace(s) != "" {
		return value{key: k.name, val: strings.TrimSpace(s), level: levelEnv, source: "environment " + env}
	}
	if r.file != "" && k.section != "" {
		for _, at := range r.fileLocations(k) {
			// An empty value in the file (the seed ships "SECRET_KEY=")
			// counts as unset, like an empty environment variable.
			if s := strings.TrimSpace(r.v.GetString(at.path)); r.v.InConfig(at.path) && s != "" {
				src := fmt.Sprintf("config file %s [%s] %s", r.file, at.section, strings.ToUpper(k.iniKey))
				return value{key: k.name, val: s, level: levelFile, source: src, file: r.file}
			}
		}
	}
	if k.def != "" {
		return value{key: k.name, val: k.def, level: levelDefault, source: "default"}
	}
	return value{key: k.name}
}

// machineSection holds the settings of this machine rather than of a
// provider ([HELLO] TOKEN_STORAGE): they apply to every profile, and a
// [profile NAME] section may still set its own.
const machineSection = "hello"

type fileLocation struct{ path, section string }

// fileLocations are the places of the config file where k is looked up,
// first match wins: the profile's section for a named profile (which
// inherits nothing from [AUTH0] or [WEBAPP]), then [HELLO] for a machine
// setting.
func (r *resolver) fileLocations(k key) []fileLocation {
	own := fileLocation{k.section + "." + k.iniKey, strings.ToUpper(k.section)}
	if r.profile == "" || r.profile == DefaultProfile {
		return []fileLocation{own}
	}
	named := fileLocation{profileSection(r.profile) + "." + k.iniKey, profileSection(r.profile)}
	if k.section == machineSection {
		return []fileLocation{named, own}
	}
	return []fileLocation{named}
}

// knownINIKeys are the keys a config file may hold; others get a warning.
// [WEBAPP] SECRET_KEY belongs to the seed's web app and is accepted silently.
func knownINIKeys() map[string]bool {
	return map[string]bool{
		"auth0.issuer":          true,
		"auth0.domain":          true,
		"auth0.client_id":       true,
		"auth0.client_secret":   true,
		"auth0.audience":        true,
		"auth0.ca_file":         true,
		"auth0.provider":        true,
		"auth0.par":             true,
		"webapp.api_server_url": true,
		"webapp.secret_key":     true,
		"hello.token_storage":   true,
	}
}

// unknownKeyWarnings names every key in the file hello does not use, so a
// typo such as CLIENTID does not silently fall back to a default.
func unknownKeyWarnings(v *viper.Viper, file string) []string {
	known := knownINIKeys()
	var names []string
	for k := range known {
		names = append(names, k)
	}
	slices.Sort(names) // a stable suggestion when two are as close
	var out []string
	for _, k := range v.AllKeys() {
		if known[k] || isProfileKey(k) { // profile keys: see profileKeyWarnings
			continue
		}
		msg := fmt.Sprintf("config file %s: unknown key %s ignored", file, iniName(k))
		if near, ok := closest(k, names); ok {
			msg += " (did you mean " + iniName(near) + "?)"
		}
		out = append(out, msg)
	}
	slices.Sort(out) // AllKeys has no stable order
	return out
}

// iniName writes viper's "section.key" as the file spells it: [SECTION] KEY.
func iniName(k string) string {
	sec, name, _ := strings.Cut(k, ".")
	return "[" + termsafe.Line(strings.ToUpper(sec)) + "] " + termsafe.Line(strings.ToUpper(name))
}
