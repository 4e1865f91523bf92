// Package apirequest turns the arguments of `hello api` (gh-api style: a
// path, -X, -H, -f and --input) into an HTTP request against the configured
// API, and guarantees it goes nowhere else: the caller adds the user's access
// token, so a request to another origin would hand that token to a stranger.
package apirequest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
)

// MaxInput bounds a request body read from --input. The body is held in
// memory so that the request can be sent again after a 401 and a renewal.
const MaxInput = 16 << 20

// Spec is what the user asked for.
type Spec struct {
	// Method is -X; "" means GET, or POST when there is a body.
	Method string
	// Path is relative to the API URL ("/api/messages/admin", or without the
	// leading slash), or an absolute URL on the API's own origin.
	Path string
	// Headers are -H values, "Name: value".
	Headers []string
	// Fields are -f values, "key=value": query parameters for GET and HEAD
	// or with --input, else the members of a JSON object body.
	Fields []string
	// Input is --input: a file name, "-" for Stdin, "" for no body.
	Input string
	Stdin io.Reader
}

// UsageError is a bad argument: the caller maps it to the usage exit code.
type UsageError struct {
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, a ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, a...)}
}

// Build returns the request for s against base, the API URL (validated by
// the configuration: absolute, http only on loopback). The request carries
// no credentials; its body, if any, can be replayed (GetBody is set).
func Build(ctx context.Context, base string, s Spec) (*http.Request, error) {
	api, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || api.Host == "" {
		return nil, fmt.Errorf("bad API URL %q", base)
	}
	target, err := Resolve(api, s.Path)
	if err != nil {
		return nil, err
	}
	header, err := parseHeaders(s.Headers)
	if err != nil {
		return nil, err
	}
	fields, err := parseFields(s.Fields)
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(s.Method)
	if method != "" && !isToken(method) {
		return nil, usagef("bad method %q: use a name such as GET, POST, PUT, PATCH or DELETE", s.Method)
	}

	var body []byte
	hasBody := false
	switch {
	case s.Input != "":
		if body, err = readInput(s.Input, s.Stdin); err != nil {
			return nil, err
		}
		hasBody = true
	case len(fields) > 0 && method != http.MethodGet && method != http.MethodHead:
		obj := make(map[string]string, len(fields))
		for _, f := range fields {
			if _, dup := obj[f.key]; dup {
				return nil, usagef("field %q is given twice with -f", f.key)
			}
			obj[f.key] = f.value
		}
		if body, err = json.Marshal(obj); err != nil {
			return nil, fmt.Errorf("encode the -f fields: %w", err)
		}
		hasBody, fields = true, nil
	}
	if method == "" {
		method = http.MethodGet
		if hasBody {
			method = http.MethodPost
		}
	}
	if hasBody && (method == http.MethodGet || method == http.MethodHead) {
		return nil, usagef("a %s request has no body: use -X POST (or PUT, PATCH) with --input", method)
	}
	if len(fields) > 0 {
		q := target.Query()
		for _, f := range fields {
			q.Add(f.key, f.value)
		}
		target.RawQuery = q.Encode()
	}

	var rd io.Reader
	if hasBody {
		rd = bytes.NewReader(body) // NewRequest sets GetBody for replays
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), rd)
	if err != nil {
		return nil, usagef("bad request: %v", err)
	}
	req.Header = header
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if hasBody && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// Resolve returns the URL that path names under api. A path is joined to
// the API URL's own path; an absolute URL (or a scheme-relative //host one)
// must have the API's origin, scheme, host and port alike.
func Resolve(api *url.URL, path string) (*url.URL, error) {
	if path == "" {
		return nil, usagef("no path given: use one such as /api/messages/public")
	}
	u, err := url.Parse(path)
	if err != nil {
		return nil, usagef("bad path %q: %v", path, errors.Unwrap(err))
	}
	if u.Scheme != "" || u.Host != "" || strings.HasPrefix(path, "//") {
		if u.User != nil {
			// Said apart: the origin named would read as the API's own.
			return nil, usagef("refusing to send your access token to a URL with a user name or password in it (%s@…): give a path such as /api/messages/public", origin(u))
		}
		if !SameOrigin(api, u) {
			return nil, usagef("refusing to send your access token to %s: hello api only calls the configured API, %s; give a path such as /api/messages/public", origin(u), origin(api))
		}
		u.Fragment, u.RawFragment = "", ""
		return u, nil
	}
	// Joined as text, then checked again: whatever the path holds ("@",
	// backslashes, dot segments), the origin must not change.
	joined := api.Scheme + "://" + api.Host + strings.TrimRight(api.EscapedPath(), "/") + "/" + strings.TrimLeft(path, "/")
	out, err := url.Parse(joined)
	if err != nil {
		return nil, usagef("bad path %q: %v", path, errors.Unwrap(err))
	}
	if !SameOrigin(api, out) || out.User != nil {
		return nil, usagef("bad path %q: it leaves the API's origin %s", path, origin(api))
	}
	out.Fragment, out.RawFragment = "", ""
	return out, nil
}

// SameOrigin reports whether a and b have the same scheme, host and port
// (RFC 6454), a missing port meaning the scheme's default.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// origin is u's scheme://host[:port], enough to name it without echoing a
// path or query that may hold something private.
func origin(u *url.URL) string {
	if u.Host == "" {
		if u.Scheme != "" {
			return u.Scheme + ":"
		}
		return "(no host)"
	}
	s := u.Host
	if u.Scheme != "" {
		s = u.Scheme + "://" + s
	}
	return s
}

// reserved are headers hello sets itself: Authorization carries the session's
// token; Host, Content-Length and Transfer-Encoding are the request's framing.
var reserved = []string{"Authorization", "Host", "Content-Length", "Transfer-Encoding"}

func parseHeaders(hs []string) (http.Header, error) {
	h := http.Header{}
	for _, raw := range hs {
		name, value, ok := strings.Cut(raw, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !isToken(name) {
			return nil, usagef("bad header %q: use -H 'Name: value'", raw)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, usagef("bad header %q: a value cannot span lines", name)
		}
		canon := http.CanonicalHeaderKey(name)
		if slices.Contains(reserved, canon) {
			return nil, usagef("header %s is set by hello itself and cannot be given with -H", canon)
		}
		h.Add(canon, value)
	}
	return h, nil
}

type field struct{ key, value string }

func parseFields(fs []string) ([]field, error) {
	out := make([]field, 0, len(fs))
	for _, raw := range fs {
		k, v, ok := strings.Cut(raw, "=")
		if !ok || k == "" {
			return nil, usagef("bad field %q: use -f key=value", raw)
		}
		out = append(out, field{k, v})
	}
	return out, nil
}

// readInput reads the whole body from name, or stdin for "-", bounded.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		if stdin == nil {
			return nil, errors.New("--input -: no standard input")
		}
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("cannot read the --input file %s: check its name and permissions (%w)", name, err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read --input %s: %w", name, err)
	}
	if len(b) > MaxInput {
		return nil, usagef("--input %s is larger than %d MiB, the most hello api sends", name, MaxInput>>20)
	}
	return b, nil
}

// isToken reports whether s is an RFC 9110 token (method and header names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// Client returns a copy of hc that follows redirects only within the API's
// origin. The authenticated transport adds the token to every request it
// sends, redirects included, so a redirect elsewhere is not followed: the
// 3xx answer itself is returned (its Location shown with --include).
func Client(hc *http.Client, api *url.URL) *http.Client {
	c := *hc
	next := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !SameOrigin(api, req.URL) {
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}
