//go:build tools

// Package deps pins modules while the packages that use them are written.
package deps

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/gofrs/flock"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/pkg/browser"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/cobra/doc"
	_ "github.com/spf13/viper"
	_ "github.com/zitadel/oidc/v3/pkg/client/rp"
	_ "github.com/zitadel/oidc/v3/pkg/op"
	_ "golang.org/x/crypto/bcrypt"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/oauth2/clientcredentials"
	_ "golang.org/x/term"
	_ "gopkg.in/ini.v1"
)
