package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Named profiles let one person keep several sets of settings side by side
// ("sandbox", "staging", "prod"), each with its own sessions. The seed's
// [AUTH0] and [WEBAPP] sections are the profile named "default", so the
// seed's file keeps working unchanged; every other profile is one section:
//
//	[profile staging]
//	DOMAIN=staging-tenant.eu.auth0.com
//	CLIENT_ID=…
//	AUDIENCE=https://hello-world.example.com
//	API_SERVER_URL=https://api.staging.example.com
//
// A named profile holds the keys of [AUTH0] and [WEBAPP] in one section and
// inherits nothing from the default profile: a prod profile must never
// pick up the sandbox's client secret or API URL by accident. Flags and
// HELLO_* variables still take precedence over any profile, as over the file.
const (
	// DefaultProfile is the [AUTH0]/[WEBAPP] sections, or no file at all.
	DefaultProfile = "default"
	// FlagProfile selects a profile; its environment variable is HELLO_PROFILE.
	FlagProfile = "profile"
	// KeyProfile is the profile's key in Settings.Sources and *Error.
	KeyProfile = "profile"

	profileSectionPrefix = "profile "
)

// validProfile reports whether s is a profile name: up to 64 lower-case
// letters, digits, '-' and '_', starting with a letter or digit; safe as a
// directory name (each profile's sessions live in a directory of that name).
// Checked by hand: a regexp would be compiled at every start-up.
func validProfile(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '-' && c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// profileKeys are the keys a [profile NAME] section may hold: those of
// [AUTH0] and [WEBAPP] (SECRET_KEY belongs to the seed's web app only),
// and TOKEN_STORAGE of [HELLO].
func profileKeys() map[string]bool {
	return map[string]bool{
		"issuer": true, "domain": true, "client_id": true, "client_secret": true,
		"audience": true, "ca_file": true, "api_server_url": true,
		// A provider's dialect and PAR belong with its profile.
		"provider": true, "par": true,
		"token_storage": true, // overrides [HELLO] TOKEN_STORAGE for this profile
	}
}

// profileSection is the viper key prefix of a named profile's section.
func profileSection(name string) string { return profileSectionPrefix + name }

// profilesIn lists the named profiles the config file defines, sorted.
// Section names are case-insensitive, so profile names are lower case.
func profilesIn(v *viper.Viper) []string {
	var out []string
	for _, k := range v.AllKeys() {
		if sec, _, ok := splitProfileKey(k); ok {
			name := strings.TrimSpace(strings.TrimPrefix(sec, profileSectionPrefix))
			if validProfile(name) && name != DefaultProfile && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// resolveProfile picks the profile: flag --profile, else HELLO_PROFILE,
// else the default. A named profile must exist in the config file.
func resolveProfile(s *Settings, v value, file string, defined []string) error {
	if !v.set() {
		return nil
	}
	name := strings.ToLower(v.val)
	if name == DefaultProfile {
		s.Sources[KeyProfile] = v.source
		return nil
	}
	if !validProfile(name) {
		return bad(v, "a profile name is up to 64 letters, digits, '-' and '_', starting with a letter or digit")
	}
	if !slices.Contains(defined, name) {
		e := bad(v, "")
		switch {
		case file == "":
			e.Expected = fmt.Sprintf("no config file defines it; add a [profile %s] section to ./.config or $XDG_CONFIG_HOME/hello/config", name)
		case len(defined) == 0:
			e.Expected = fmt.Sprintf("%s has no [profile %s] section (it defines no profiles)", file, name)
		default:
			e.Expected = fmt.Sprintf("%s has no [profile %s] section; its profiles are %s, and default", file, name, strings.Join(defined, ", "))
		}
		return e
	}
	s.Profile, s.Sources[KeyProfile] = name, v.source
	return nil
}

// ProfileName is the profile in use, DefaultProfile when Profile is "".
func (s Settings) ProfileName() string {
	if s.Profile == "" {
		return DefaultProfile
	}
	return s.Profile
}

// ProfileSource says why that profile is in use: "flag --profile",
// "environment HELLO_PROFILE", or "default".
func (s Settings) ProfileSource() string {
	if src := s.Sources[KeyProfile]; src != "" {
		return src
	}
	return "default"
}

// ProfileChoice says which profile is in use and why, for `hello status`:
// "staging (from flag --profile)".
func (s Settings) ProfileChoice() string {
	if src := s.ProfileSource(); src != "default" {
		return s.ProfileName() + " (from " + src + ")"
	}
	return s.ProfileName() + " (the default: no --profile or HELLO_PROFILE)"
}

// Profiles lists the profiles a user can choose from: "default" first, then
// those the config file defines. It reads the file Load would read and is
// meant for shell completion, so it fails quietly with only "default".
func (l Loader) Profiles(fs *pflag.FlagSet) []string {
	out := []string{DefaultProfile}
	reg, err := newRegistry()
	if err != nil {
		return out
	}
	r := &resolver{flags: fs, getenv: l.Getenv, v: viper.NewWithOptions(viper.WithCodecRegistry(reg))}
	if r.getenv == nil {
		r.getenv = os.LookupEnv
	}
	cfg, err := l.findConfigFile(r.lookup(keys()[KeyConfig]))
	if err != nil || cfg.val == "" || readConfigFile(r.v, cfg) != nil {
		return out
	}
	return append(out, profilesIn(r.v)...)
}

// splitProfileKey splits a viper key of a [profile NAME] section into the
// section and the key name. The key is cut at the last dot: a section
// written [profile a.b] must read as one (invalid) name, not as profile "a".
func splitProfileKey(k string) (section, name string, ok bool) {
	if !strings.HasPrefix(k, profileSectionPrefix) {
		return "", "", false
	}
	i := strings.LastIndexByte(k, '.')
	if i < 0 {
		return "", "", false
	}
	return k[:i], k[i+1:], true
}

// profilesDir is the subdirectory of the session cache that holds the named
// profiles' sessions, one directory each.
const profilesDir = "profiles"

// SessionDir is where this profile's sessions are cached under base, the
// cache directory. The default profile uses base itself, so sessions made
// before profiles existed stay valid; a named profile gets base/profiles/NAME,
// so two profiles never share a session even with identical settings.
func (s Settings) SessionDir(base string) string {
	if s.Profile == "" || s.Profile == DefaultProfile {
		return base
	}
	return filepath.Join(base, profilesDir, s.Profile)
}

// SessionDirs lists every profile that has a session directory under base,
// the default profile first, for `hello status --all` and `logout --all`:
// sessions of profiles since removed from the config file are included.
func SessionDirs(base string) ([]ProfileDir, error) {
	out := []ProfileDir{{Profile: DefaultProfile, Dir: base}}
	ents, err := os.ReadDir(filepath.Join(base, profilesDir))
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("list the profiles' sessions: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() && validProfile(e.Name()) {
			out = append(out, ProfileDir{Profile: e.Name(), Dir: filepath.Join(base, profilesDir, e.Name())})
		}
	}
	return out, nil
}

// ProfileDir is one profile's session directory.
type ProfileDir struct {
	Profile, Dir string
}

// isProfileKey reports whether k, a viper key, is in a [profile …] section.
func isProfileKey(k string) bool { return strings.HasPrefix(k, profileSectionPrefix) }

// profileKeyWarnings names the keys of [profile NAME] sections hello does
// not use, and sections whose name cannot be a profile.
func profileKeyWarnings(v *viper.Viper, file string) []string {
	known := profileKeys()
	var out []string
	for _, k := range v.AllKeys() {
		sec, key, ok := splitProfileKey(k)
		if !ok {
			continue
		}
		switch name := strings.TrimSpace(strings.TrimPrefix(sec, profileSectionPrefix)); {
		case name == DefaultProfile:
			out = append(out, fmt.Sprintf("config file %s: section [%s] ignored: the default profile is the [AUTH0] and [WEBAPP] sections", file, sec))
		case !validProfile(name):
			out = append(out, fmt.Sprintf("config file %s: section [%s] ignored: a profile name is up to 64 letters, digits, '-' and '_'", file, sec))
		case !known[key]:
			out = append(out, fmt.Sprintf("config file %s: unknown key [%s] %s ignored", file, sec, strings.ToUpper(key)))
		}
	}
	slices.Sort(out)           // AllKeys has no stable order
	return slices.Compact(out) // one line per bad section, not per key
}
