package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/keystore"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/tokencache"
)

// CachedSession is one session in the cache, of any profile, for
// `status --all` and `logout --all`.
type CachedSession struct {
	Profile string
	Session *session.Session
	// Provider discovers the session's provider, for revocation.
	Provider func(context.Context) (*oidcclient.Client, error)
	// Storage says how the entry is kept once Session.Load read it
	// (nil: never known).
	Storage func() (w keystore.Where, mode string, ok bool)
	// ForgetKey removes the token key of the session's cache directory
	// from the OS keyring once no entry there uses it (nil: none);
	// Keyring names the keyring.
	ForgetKey func(context.Context) (bool, error)
	Keyring   string
}

// allSessions lists every cached session of every profile, including
// profiles since removed from the config file. A session is renewable with
// client credentials only when its profile's settings still name it and
// have the secret.
func (f *Factory) allSessions() ([]CachedSession, error) {
	base, err := f.CacheDir()
	if err != nil {
		return nil, fmt.Errorf("find the cache directory: %w", err)
	}
	dirs, err := config.SessionDirs(base)
	if err != nil {
		return nil, err
	}
	var out []CachedSession
	for _, d := range dirs {
		settings := f.profileSettings(d.Profile)
		store, err := f.newStore(base, d.Dir, f.tokenStorageOf(settings))
		if err != nil {
			return nil, err
		}
		keys, err := store.Keys()
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			secret := ""
			if settings != nil && k == (tokencache.Key{Issuer: settings.Issuer, ClientID: settings.ClientID, Audience: settings.Audience}) {
				secret = settings.ClientSecret
			}
			provider := func(ctx context.Context) (*oidcclient.Client, error) { return f.providerFor(ctx, k, secret) }
			sess := &session.Session{
				Store: store, Key: k, HaveSecret: secret != "", Now: f.Now,
				Connect: func(ctx context.Context) (session.Renewer, error) { return provider(ctx) },
			}
			forget, keyring := forgetKeyOf(sess)
			out = append(out, CachedSession{Profile: d.Profile, Provider: provider, Session: sess,
				Storage: whereOf(sess), ForgetKey: forget, Keyring: keyring})
		}
	}
	return out, nil
}

// profileSettings resolves the settings of the named profile as a run with
// --profile NAME would (same config file, same environment); nil when they
// cannot be resolved, e.g. for a profile no longer in the config file.
func (f *Factory) profileSettings(name string) *config.Settings {
	if f.Settings != nil && f.Settings.ProfileName() == name {
		return f.Settings
	}
	fs := pflag.NewFlagSet("hello", pflag.ContinueOnError)
	config.BindFlags(fs)
	_ = fs.Set(config.FlagProfile, name)
	if f.Settings != nil && f.Settings.ConfigFile != "" {
		_ = fs.Set(config.FlagConfig, f.Settings.ConfigFile)
	}
	if f.Settings != nil && f.Settings.Sources[config.KeyTokenStorage] == "flag --"+config.FlagTokenStorage {
		// Where tokens are kept is the process's choice: a flag given
		// with --all holds for every profile, as the environment does.
		_ = fs.Set(config.FlagTokenStorage, f.Settings.TokenStorage)
	}
	s, err := f.Config.Load(fs)
	if err != nil {
		return nil
	}
	return s
}

// tokenStorageOf is the --token-storage of a profile's settings. A profile
// whose settings cannot be resolved (removed from the config file) keeps
// this run's choice unless that came from the current profile's own
// section.
func (f *Factory) tokenStorageOf(s *config.Settings) string {
	if s != nil {
		return s.TokenStorage
	}
	if cur := f.Settings; cur != nil && !strings.Contains(cur.Sources[config.KeyTokenStorage], "[profile ") {
		return cur.TokenStorage
	}
	return ""
}

// providerFor discovers the provider of a session other than the current
// profile's.
func (f *Factory) providerFor(ctx context.Context, k tokencache.Key, secret string) (*oidcclient.Client, error) {
	if s := f.Settings; s != nil && k == (tokencache.Key{Issuer: s.Issuer, ClientID: s.ClientID, Audience: s.Audience}) {
		return f.AuthClient(ctx)
	}
	hc, err := f.HTTPClient()
	if err != nil {
		return nil, err
	}
	return oidcclient.New(ctx, oidcclient.Config{
		Issuer: k.Issuer, ClientID: k.ClientID, ClientSecret: secret, Audience: k.Audience,
		HTTPClient: hc, Now: f.Now,
	})
}

// completeProfiles offers the profiles the config file defines.
func completeProfiles(f *Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return f.Config.Profiles(cmd.Flags()), cobra.ShellCompDirectiveNoFileComp
	}
}
