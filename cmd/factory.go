package cmd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/hello-cli/hello/internal/apiclient"
	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/keystore"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/internal/transport"
	"github.com/hello-cli/hello/internal/webbrowser"
	"github.com/hello-cli/hello/pkg/termsafe"
)

// Factory builds what commands need and fills their Options. Fields are set
// by NewFactory for the real process and by tests with doubles; what depends
// on the parsed configuration is built lazily, once, after the root command
// loaded it. Run functions never see the Factory.
type Factory struct {
	IO *iostreams.IOStreams
	// Config says where the environment and the config files are.
	Config   config.Loader
	Browser  webbrowser.Browser
	Now      func() time.Time
	CacheDir func() (string, error)
	// CanOpenBrowser reports whether this machine can show the user a browser.
	CanOpenBrowser func() bool
	// BrowserHere says why this machine cannot open a browser (SSH, no
	// display), "" when it can; CI and terminals are the caller's question.
	BrowserHere func() string
	// Keyring is the OS keyring; nil means go-keyring's for this system.
	Keyring keystore.Backend

	// Settings is set by the root command once flags are parsed.
	Settings *config.Settings
	Verbose  bool

	httpOnce   sync.Once
	httpClient *http.Client
	httpErr    error
	authOnce   sync.Once
	authClient *oidcclient.Client
	authErr    error
	sessOnce   sync.Once
	sess       *session.Session
	sessErr    error
	// sealers seal the tokens of each cache directory this process opened
	// (one per profile), by directory, so that a directory's key is read
	// once however many sessions of it are used; all of them share
	// keyShared: one probe, one bound for a hung bus, one notice.
	sealMu    sync.Mutex
	sealers   map[string]*keystore.Codec
	keyShared keystore.Shared
}

// NewFactory returns the Factory of the real process.
func NewFactory() *Factory {
	io := iostreams.System()
	getenv := func(k string) string { return os.Getenv(k) }
	browser := webbrowser.System{Stderr: io.ErrOut, Getenv: getenv}
	return &Factory{
		IO:       io,
		Config:   config.NewLoader(),
		Browser:  browser,
		Now:      time.Now,
		CacheDir: tokencache.DefaultDir,
		CanOpenBrowser: func() bool {
			// WSL counts: its Windows browser needs no Linux display.
			return !io.CI() && io.AnyTTY() && browser.CanOpen()
		},
		BrowserHere: browser.Unavailable,
	}
}

// HTTPClient is the one client every request goes through.
func (f *Factory) HTTPClient() (*http.Client, error) {
	f.httpOnce.Do(func() {
		// The log quotes URLs and statuses from servers: shown, not obeyed.
		opts := transport.Options{Verbose: f.Verbose, Log: termsafe.NewWriter(f.IO.ErrOut)}
		if f.Settings != nil {
			opts.CAFile = f.Settings.CAFile
		}
		f.httpClient, f.httpErr = transport.New(opts)
	})
	return f.httpClient, f.httpErr
}

// AuthClient discovers the provider. It is only called when the provider is
// really needed: a valid cached token must not cost a discovery request.
func (f *Factory) AuthClient(ctx context.Context) (*oidcclient.Client, error) {
	f.authOnce.Do(func() {
		hc, err := f.HTTPClient()
		if err != nil {
			f.authErr = err
			return
		}
		s := f.Settings
		f.authClient, f.authErr = oidcclient.New(ctx, oidcclient.Config{
			Issuer:       s.Issuer,
			ClientID:     s.ClientID,
			ClientSecret: s.ClientSecret,
			// A nil *SecretIssuerError must stay a nil error.
			SecretWithheld: withheld(s),
			Audience:       s.Audience,
			Dialect:        oidcclient.Dialect(s.Provider),
			HTTPClient:     hc,
			Now:            f.Now,
		})
		if f.authErr == nil && f.Verbose {
			// Which dialect detection chose is the first thing to know
			// when a provider refuses what hello asks for.
			fmt.Fprintf(f.IO.ErrOut, "* provider %s: %s (PROVIDER=auth0|standard overrides)\n", s.Issuer, f.authClient.Dialect())
		}
		if f.authErr != nil && s.Sandbox && unreachable(f.authErr) {
			f.authErr = &hintError{err: f.authErr, hint: `hello talks to the local sandbox by default: start it with "hello sandbox", or configure your provider (see "hello --help")`}
		}
	})
	return f.authClient, f.authErr
}

// hintError adds a next step on a line of its own to an error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + "\n" + e.hint }
func (e *hintError) Unwrap() error { return e.err }

// Session returns the session for the configured issuer, client and audience.
func (f *Factory) Session() (*session.Session, error) {
	f.sessOnce.Do(func() { f.sess, f.sessErr = f.newSession() })
	return f.sess, f.sessErr
}

func (f *Factory) newSession() (*session.Session, error) {
	dir, err := f.CacheDir()
	if err != nil {
		return nil, fmt.Errorf("find the cache directory: %w", err)
	}
	s := f.Settings
	store, err := f.newStore(dir, s.SessionDir(dir), s.TokenStorage)
	if err != nil {
		return nil, err
	}
	if codec := store.Codec.(*keystore.Codec); codec.Store.Mode() == keystore.Keyring {
		// Asked for the keyring and none answers: fail now, before any
		// entry is read or a login started, rather than fall back.
		if _, err := codec.Store.Resolve(context.Background()); err != nil {
			return nil, err
		}
	}
	return &session.Session{
		Store:   store,
		Key:     tokencache.Key{Issuer: s.Issuer, ClientID: s.ClientID, Audience: s.Audience},
		Connect: func(ctx context.Context) (session.Renewer, error) { return f.AuthClient(ctx) },
		// A withheld secret still means "can mint anew": the attempt
		// then fails with the plain reason instead of "needs a secret".
		HaveSecret: s.ClientSecret != "" || s.SecretWithheld != nil,
		Now:        f.Now,
		Notify:     store.Notify,
	}, nil
}

// newStore is the token cache in dir, one profile's directory under base,
// its tokens kept as storage (--token-storage) says.
func (f *Factory) newStore(base, dir, storage string) (*tokencache.Store, error) {
	store := tokencache.New(dir)
	store.Now = f.Now
	store.Notify = func(msg string) { fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", termsafe.Line(msg)) }
	if v, ok := f.Config.Getenv("HELLO_LOCK_TIMEOUT"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, exitcode.Newf(exitcode.Usage, "bad HELLO_LOCK_TIMEOUT %q (from the environment): expected a positive duration such as 30s", v)
		}
		store.LockTimeout = d
	}
	codec, err := f.sealer(base, dir, storage)
	if err != nil {
		return nil, err
	}
	store.Codec = codec
	return store, nil
}

// ensureSession is the CLI's requires_auth: a usable session, renewed if
// needed; with none, a login when a person is at the terminal.
func (f *Factory) ensureSession(ctx context.Context) (*session.Session, error) {
	s, err := f.Session()
	if err != nil {
		return nil, err
	}
	_, err = s.Token(ctx, session.Want{})
	if (errors.Is(err, session.ErrNotLoggedIn) || errors.Is(err, session.ErrRevoked)) && f.IO.Interactive() {
		// One sentence that says what hello does about it, not the
		// "run hello login" meant for scripts.
		why := "You are not logged in"
		if errors.Is(err, session.ErrRevoked) {
			why = "Your session expired or was revoked"
		}
		fmt.Fprintf(f.IO.ErrOut, "%s: starting \"hello login\".\n", why)
		_, err = loginRun(ctx, f.loginOptions(&LoginOptions{Port: defaultPort, Timeout: defaultLoginTimeout}))
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// authenticated is the session's authenticated client, sending the token
// only to target's origin.
func (f *Factory) authenticated(ctx context.Context, target string, opts ...session.Option) (*http.Client, error) {
	s, err := f.ensureSession(ctx)
	if err != nil {
		return nil, err
	}
	hc, err := f.HTTPClient()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	return session.Client(hc, s, session.Origin(u), opts...), nil
}

// messageAPI builds the API client for kind: anonymous for public, the
// authenticated client otherwise.
func (f *Factory) messageAPI(ctx context.Context, kind string) (MessageAPI, error) {
	s := f.Settings
	api := &apiclient.Client{BaseURL: s.APIURL, Issuer: s.Issuer, Audience: s.Audience, Now: f.Now}
	var err error
	if apiclient.NeedsToken(kind) {
		api.HTTP, err = f.authenticated(ctx, s.APIURL)
	} else {
		api.HTTP, err = f.HTTPClient()
		api.Anonymous = true
	}
	if err != nil {
		return nil, err
	}
	return api, nil
}

// userInfo fetches the provider's userinfo through the authenticated
// client. A 401 there is final: the token is valid by hello's clock, and a
// provider that keeps the API's token off userinfo would refuse a renewed
// one too, after a refresh spent for nothing (profile falls back to the ID
// token).
func (f *Factory) userInfo(ctx context.Context) (map[string]any, error) {
	c, err := f.AuthClient(ctx)
	if err != nil {
		return nil, err
	}
	if c.UserInfoEndpoint() == "" {
		return nil, oidcclient.ErrNoUserInfo
	}
	hc, err := f.authenticated(ctx, c.UserInfoEndpoint(), session.NoRenewOn401())
	if err != nil {
		return nil, err
	}
	return c.UserInfo(ctx, hc)
}

// liveEntry is the cached entry after making sure the session is usable.
func (f *Factory) liveEntry(ctx context.Context) (*tokencache.Entry, error) {
	s, err := f.ensureSession(ctx)
	if err != nil {
		return nil, err
	}
	return s.Entry(ctx, session.Want{})
}

// tokens hands out a usable token.
func (f *Factory) tokens(ctx context.Context, w session.Want) (*token.Token, error) {
	s, err := f.ensureSession(ctx)
	if err != nil {
		return nil, err
	}
	return s.Token(ctx, w)
}

// save stores the token of a fresh login.
func (f *Factory) save(ctx context.Context, t *token.Token) (*tokencache.Entry, error) {
	s, err := f.Session()
	if err != nil {
		return nil, err
	}
	return s.Save(ctx, t, who(t, f.Settings.ClientID, f.loginUserInfo(ctx, t)))
}

// loginUserInfo is the userinfo of a fresh login when its ID token does not
// name the person's e-mail (some providers put it only in userinfo), so
// that login and status can say who logged in. Best effort: nil on any
// failure, or when userinfo describes another subject.
func (f *Factory) loginUserInfo(ctx context.Context, t *token.Token) map[string]any {
	id, err := claims.Unverified(t.IDToken)
	if err != nil || claims.String(id, "email") != "" || t.AccessToken == "" {
		return nil
	}
	c, err := f.AuthClient(ctx)
	if err != nil || c.UserInfoEndpoint() == "" {
		return nil
	}
	hc, err := f.HTTPClient()
	if err != nil {
		return nil
	}
	u, err := url.Parse(c.UserInfoEndpoint())
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := c.UserInfo(ctx, session.Client(hc, unsavedToken{t}, session.Origin(u)))
	if err != nil || claims.String(info, "sub") != claims.String(id, "sub") {
		return nil
	}
	return info
}

// unsavedToken is the token of a login not yet saved, for session.Client:
// it cannot be renewed, so a server that refuses it gets no second try.
type unsavedToken struct{ t *token.Token }

func (u unsavedToken) Token(_ context.Context, w session.Want) (*token.Token, error) {
	if w.Stale != "" {
		return nil, errors.New("the server refused the new login's access token")
	}
	return u.t, nil
}

// sealer is the sealing codec of the token cache in dir, one profile's
// directory under base. The key in the keyring belongs to dir (logging out
// of one profile never strands another's sessions); the memo of a failed
// probe is kept in base, for every profile at once.
func (f *Factory) sealer(base, dir, storage string) (*keystore.Codec, error) {
	mode, err := keystore.ParseMode(storage)
	if err != nil {
		return nil, exitcode.New(exitcode.Usage, err)
	}
	f.sealMu.Lock()
	defer f.sealMu.Unlock()
	if c, ok := f.sealers[dir]; ok && c.Store.Mode() == mode {
		return c, nil
	}
	keys := keystore.New(keystore.Config{Mode: mode, Dir: dir, MemoDir: base, Shared: &f.keyShared,
		Backend: f.Keyring, Getenv: f.Config.Getenv, Notices: f.IO.ErrOut})
	c := &keystore.Codec{Store: keys, Path: tokencache.New(dir).Path}
	if f.sealers == nil {
		f.sealers = map[string]*keystore.Codec{}
	}
	f.sealers[dir] = c
	return c, nil
}

// whereOf says how s's entry is kept, once it was read; ok is false
// before that.
func whereOf(s *session.Session) func() (keystore.Where, string, bool) {
	return func() (keystore.Where, string, bool) {
		c, ok := s.Store.Codec.(*keystore.Codec)
		if !ok {
			return keystore.Where{}, "", false
		}
		w, ok := c.Where(s.Key)
		return w, string(c.Store.Mode()), ok
	}
}

// forgetKeyOf removes the token key of s's cache directory from the
// keyring once no entry there uses it.
func forgetKeyOf(s *session.Session) (forget func(context.Context) (bool, error), keyring string) {
	c, ok := s.Store.Codec.(*keystore.Codec)
	if !ok {
		return nil, ""
	}
	return c.Store.ForgetKeyIfUnused, c.Store.Backend()
}

// who names the logged-in subject for humans, without any token: the
// e-mail from whichever source has it (ID token, userinfo, access token),
// with the name, else the subject.
func who(t *token.Token, clientID string, userinfo map[string]any) string {
	id, _ := claims.Unverified(t.IDToken)
	at, _ := claims.Unverified(t.AccessToken)
	email, _ := claims.Email(id, userinfo, at)
	name := claims.String(id, "name")
	if name == "" {
		name = claims.String(userinfo, "name")
	}
	switch {
	case email != "" && name != "" && name != email:
		return fmt.Sprintf("%s (%s)", email, name)
	case email != "":
		return email
	case name != "":
		return name
	}
	for _, c := range []map[string]any{id, at} {
		if sub := claims.String(c, "sub"); sub != "" {
			return sub
		}
	}
	return "client " + clientID
}

// entryUser is who an entry belongs to.
func entryUser(e *tokencache.Entry) string {
	if e.User != "" {
		return e.User
	}
	return who(&e.Token, e.ClientID, nil)
}

// withheld is the reason the config file's client secret may not be used
// with the issuer in effect, nil when it may (or there is none).
func withheld(s *config.Settings) error {
	if s.SecretWithheld == nil {
		return nil
	}
	return s.SecretWithheld
}
