package transport

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"https://h/p", "https://h/p"},
		{"https://h/p?", "https://h/p?"},
		{"https://h/cb?code=abc&state=xyz", "https://h/cb?code=[REDACTED]&state=xyz"},
		{"https://h/?state=s&nonce=n&user_code=ABCD-EFGH", "https://h/?state=s&nonce=n&user_code=ABCD-EFGH"},
		{"https://h/?code_verifier=v&device_code=d&id_token_hint=i", "https://h/?code_verifier=[REDACTED]&device_code=[REDACTED]&id_token_hint=[REDACTED]"},
		{"https://h/?access_token=a&refresh_token=r&id_token=i&token=t", "https://h/?access_token=[REDACTED]&refresh_token=[REDACTED]&id_token=[REDACTED]&token=[REDACTED]"},
		{"https://h/?client_secret=s&password=p&assertion=a&client_assertion=c", "https://h/?client_secret=[REDACTED]&password=[REDACTED]&assertion=[REDACTED]&client_assertion=[REDACTED]"},
		{"https://h/?token_type_hint=refresh_token&client_id=hello-cli", "https://h/?token_type_hint=refresh_token&client_id=hello-cli"},
		{"https://h/?CODE=abc", "https://h/?CODE=[REDACTED]"},
		{"https://h/?co%64e=abc", "https://h/?co%64e=[REDACTED]"},
		{"https://h/?code=a&code=b", "https://h/?code=[REDACTED]&code=[REDACTED]"},
		{"https://h/?x=1;code=abc", "https://h/?x=1;code=[REDACTED]"},
		{"https://h/?code", "https://h/?code"},
		{"https://h/?code=", "https://h/?code=[REDACTED]"},
		{"https://h/?redirect_uri=http%3A%2F%2Flocalhost%3A4040%2Fcallback&scope=openid+profile", "https://h/?redirect_uri=http%3A%2F%2Flocalhost%3A4040%2Fcallback&scope=openid+profile"},
		{"http://localhost:4040/callback#access_token=a&state=s", "http://localhost:4040/callback#access_token=[REDACTED]&state=s"},
		{"https://user:pa55@h/?a=1", "https://user:xxxxx@h/?a=1"},
		{"https://h/p%2Fq?a=b", "https://h/p%2Fq?a=b"},
		{"", ""},
		{"::not a url", "[unparsable URL [REDACTED]]"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	for _, seed := range []struct{ raw, secret string }{
		{"https://h/cb?state=xyz", "abcdefgh"},
		{"https://h/cb", "SplxlOBeZQQYbYS6WxSbIA"},
		{"http://localhost:4040/?a=1;b=2#frag", "s3cr3tvalue"},
		{"mailto:x@example.com", "zzzzzzzz"},
		{"https://user:pw@h/%2F?x=%zz", "tok123456"},
	} {
		f.Add(seed.raw, seed.secret)
	}
	f.Fuzz(func(t *testing.T, raw, secret string) {
		out := Redact(raw) // must not panic on anything
		if _, err := url.Parse(raw); err != nil && out != "[unparsable URL [REDACTED]]" {
			t.Fatalf("Redact(%q) = %q for an unparsable URL", raw, out)
		}

		// Property: a code added to the query never shows up in the output.
		if len(secret) < 8 || strings.Trim(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			return
		}
		base, _, _ := strings.Cut(raw, "#")
		if strings.Contains(base, secret) || strings.Contains(Redact(base), secret) {
			return // the secret is in the URL already, outside the query parameter
		}
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		withCode := base + sep + "code=" + secret
		if _, err := url.Parse(withCode); err != nil {
			return
		}
		if got := Redact(withCode); strings.Contains(got, secret) {
			t.Errorf("Redact(%q) = %q leaks the code", withCode, got)
		}
	})
}
