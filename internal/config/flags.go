package config

import "github.com/spf13/pflag"

// Flag names. The environment variable of each is HELLO_ plus the name in
// upper case with '-' mapped to '_' (--client-id → HELLO_CLIENT_ID).
const (
	FlagIssuer       = "issuer"
	FlagDomain       = "domain"
	FlagClientID     = "client-id"
	FlagAudience     = "audience"
	FlagAPIURL       = "api-url"
	FlagConfig       = "config"
	FlagOutput       = "output"
	FlagCAFile       = "ca-file"
	FlagTokenStorage = "token-storage"
)

// BindFlags declares the persistent flags on the root command's flag set.
//
// The flags have empty defaults on purpose: a flag only counts when the user
// set it, and showing a default in --help would hide that the environment or
// the config file may override it. The real defaults are named in the usage.
// There is deliberately no flag for the client secret: argv is visible to
// other users through ps and ends up in shell history.
func BindFlags(fs *pflag.FlagSet) {
	fs.String(FlagIssuer, "", "OpenID issuer URL [$HELLO_ISSUER] (default: the sandbox, "+DefaultIssuer+")")
	fs.String(FlagDomain, "", "Auth0 domain; the issuer becomes https://DOMAIN/ [$HELLO_DOMAIN]")
	fs.String(FlagClientID, "", `OAuth client ID [$HELLO_CLIENT_ID] (default "`+DefaultClientID+`")`)
	fs.String(FlagAudience, "", `API audience; "" for none [$HELLO_AUDIENCE] (default "`+DefaultAudience+`")`)
	fs.String(FlagAPIURL, "", `Hello World API base URL [$HELLO_API_URL] (default "`+DefaultAPIURL+`")`)
	fs.String(FlagConfig, "", "INI config file [$HELLO_CONFIG] (default ./.config, or else $XDG_CONFIG_HOME/hello/config)")
	fs.StringP(FlagOutput, "o", "", `output format: text or json [$HELLO_OUTPUT] (default "text")`)
	fs.String(FlagCAFile, "", "PEM file of extra root certificates to trust [$HELLO_CA_FILE]")
	fs.String(FlagTokenStorage, "", `where tokens are kept: auto, keyring or file [$HELLO_TOKEN_STORAGE] (default "`+DefaultTokenStorage+`")`)
	fs.String(FlagProfile, "", `named profile: a [profile NAME] section of the config file [$HELLO_PROFILE] (default "`+DefaultProfile+`": [AUTH0] and [WEBAPP])`)
}
