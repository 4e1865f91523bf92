package config

import (
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Loader says where Load looks for the environment and config files. Tests
// fill it with a map and temporary directories; NewLoader fills it for real.
type Loader struct {
	// Getenv looks up an environment variable; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Environ lists the environment as KEY=value, to find HELLO_*
	// variables hello does not know; nil skips that check.
	Environ func() []string
	// WorkDir is where ./.config is looked up and relative --config and
	// --ca-file paths are resolved; "" means the process's working directory.
	WorkDir string
	// ConfigHome is $XDG_CONFIG_HOME or os.UserConfigDir(); the fallback
	// config file is ConfigHome/hello/config. "" disables the fallback.
	ConfigHome string
}

// NewLoader returns a Loader for the real process environment.
func NewLoader() Loader {
	l := Loader{Getenv: os.LookupEnv, Environ: os.Environ}
	if wd, err := os.Getwd(); err == nil {
		l.WorkDir = wd
	}
	// os.UserConfigDir already honours XDG_CONFIG_HOME on Unix, but not on
	// macOS or Windows, where the spec still promises it.
	if xdg := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(xdg) {
		l.ConfigHome = xdg
	} else if dir, err := os.UserConfigDir(); err == nil {
		l.ConfigHome = dir
	}
	return l
}

// keys lists every setting read through the resolver, with its flag, INI
// location and default. The issuer's sandbox default is applied in
// resolveIssuer because it depends on the domain too.
func keys() map[string]key {
	return map[string]key{
		KeyIssuer:       {name: KeyIssuer, flag: FlagIssuer, section: "auth0", iniKey: "issuer"},
		KeyDomain:       {name: KeyDomain, flag: FlagDomain, section: "auth0", iniKey: "domain"},
		KeyClientID:     {name: KeyClientID, flag: FlagClientID, section: "auth0", iniKey: "client_id", def: DefaultClientID},
		KeyClientSecret: {name: KeyClientSecret, section: "auth0", iniKey: "client_secret"},
		KeyAudience:     {name: KeyAudience, flag: FlagAudience, section: "auth0", iniKey: "audience", def: DefaultAudience},
		KeyAPIURL:       {name: KeyAPIURL, flag: FlagAPIURL, section: "webapp", iniKey: "api_server_url", def: DefaultAPIURL},
		KeyOutput:       {name: KeyOutput, flag: FlagOutput, def: DefaultOutput},
		KeyCAFile:       {name: KeyCAFile, flag: FlagCAFile, section: "auth0", iniKey: "ca_file"},
		KeyConfig:       {name: KeyConfig, flag: FlagConfig},
		KeyTokenStorage: {name: KeyTokenStorage, flag: FlagTokenStorage, section: machineSection, iniKey: "token_storage"},
		KeyProfile:      {name: KeyProfile, flag: FlagProfile},
		// How the provider wants the API and offline access asked for
		// (see the README's "Any other OpenID provider"), and whether to
		// push authorization requests; the login flag --par overrides.
		KeyProvider: {name: KeyProvider, section: "auth0", iniKey: "provider"},
		KeyPAR:      {name: KeyPAR, section: "auth0", iniKey: "par"},
	}
}

// Load resolves every setting with precedence flag > environment > config
// file > default, and validates the result. fs is the parsed flag set that
// BindFlags was applied to (nil for none); a flag counts only if the user set
// it. Configuration mistakes are returned as *Error.
func (l Loader) Load(fs *pflag.FlagSet) (*Settings, error) {
	reg, err := newRegistry()
	if err != nil {
		return nil, err
	}
	r := &resolver{
		flags:  fs,
		getenv: l.Getenv,
		v:      viper.NewWithOptions(viper.WithCodecRegistry(reg)),
	}
	if r.getenv == nil {
		r.getenv = os.LookupEnv
	}
	ks := keys()
	s := &Settings{Sources: map[string]string{}}

	cfg, err := l.findConfigFile(r.lookup(ks[KeyConfig]))
	if err != nil {
		return nil, err
	}
	if cfg.val != "" {
		if err := readConfigFile(r.v, cfg); err != nil {
			return nil, err
		}
		r.file = cfg.val
		s.ConfigFile = cfg.val
		s.Sources[KeyConfig] = cfg.source
		s.Warnings = unknownKeyWarnings(r.v, cfg.val)
		s.Warnings = append(s.Warnings, profileKeyWarnings(r.v, cfg.val)...)
	}
	if l.Environ != nil {
		s.Warnings = append(s.Warnings, unknownEnvWarnings(l.Environ())...)
	}
	if err := resolveProfile(s, r.lookup(ks[KeyProfile]), cfg.val, profilesIn(r.v)); err != nil {
		return nil, err
	}
	r.profile = s.Profile

	if err := resolveIssuer(s, r.lookup(ks[KeyIssuer]), r.lookup(ks[KeyDomain])); err != nil {
		return nil, err
	}

	steps := []struct {
		key   string
		dst   *string
		check func(value) (string, error)
	}{
		{KeyClientID, &s.ClientID, checkClientID},
		{KeyClientSecret, &s.ClientSecret, nil},
		{KeyAudience, &s.Audience, nil},
		{KeyAPIURL, &s.APIURL, checkAPIURL},
		{KeyOutput, &s.Output, checkOutput},
		{KeyCAFile, &s.CAFile, l.checkCAFile},
		{KeyProvider, &s.Provider, checkProvider},
		{KeyPAR, &s.PAR, checkBool},
		{KeyTokenStorage, &s.TokenStorage, checkTokenStorage},
	}
	for _, st := range steps {
		v := r.lookup(ks[st.key])
		if !v.set() {
			continue
		}
		val := v.val
		if st.check != nil {
			if val, err = st.check(v); err != nil {
				return nil, err
			}
		}
		*st.dst = val
		s.Sources[st.key] = v.source
		if st.key == KeyClientSecret {
			r.bindSecret(s, v)
		}
	}
	return s, nil
}

// resolveIssuer sets Issuer, Domain and Sandbox. Issuer and domain are two
// spellings of one setting, so the higher-precedence one wins and giving both
// at the same level is ambiguous.
func resolveIssuer(s *Settings, iss, dom value) error {
	switch {
	case iss.set() && dom.set() && iss.level == dom.level:
		return &Error{
			Key:      KeyIssuer,
			Source:   iss.source + " and " + dom.source,
			Value:    iss.val,
			Expected: "set either the issuer or the domain, not both",
		}
	case dom.set() && dom.level > iss.level:
		host, err := checkDomain(dom)
		if err != nil {
			return err
		}
		s.Domain = host
		s.Issuer = "https://" + host + "/" // Auth0's iss claim ends with a slash
		s.Sources[KeyDomain] = dom.source
		s.Sources[KeyIssuer] = dom.source
	case iss.set():
		u, err := checkURL(iss)
		if err != nil {
			return err
		}
		s.Issuer = u
		s.Sources[KeyIssuer] = iss.source
	default:
		s.Issuer = DefaultIssuer
		s.Sandbox = true
		s.Sources[KeyIssuer] = "default"
	}
	return nil
}
