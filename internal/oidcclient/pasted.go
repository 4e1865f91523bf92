package oidcclient

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/hello-cli/hello/internal/urlpolicy"
)

// AuthorizationResponse is the query of the redirect back from the
// provider (RFC 6749 §4.1.2), as a browser would have delivered it.
type AuthorizationResponse struct {
	Query url.Values
}

// Code, State and ErrorCode are the response's parameters.
func (r AuthorizationResponse) Code() string      { return r.Query.Get("code") }
func (r AuthorizationResponse) State() string     { return r.Query.Get("state") }
func (r AuthorizationResponse) ErrorCode() string { return r.Query.Get("error") }

// maxPasted bounds a pasted line: real redirects are well under 8 KiB.
const maxPasted = 16 << 10

// ParsePastedRedirect reads the address a browser failed to load after
// signing in on another machine (http://localhost:4040/callback?code=…),
// as pasted into the terminal. The redirect must be to this machine's
// loopback and to the callback path asked for (any port: the browser that
// tried it ran elsewhere); quotes and blanks around it, as terminals and
// chat tools add, are ignored. A bare query ("code=…&state=…") is accepted.
func ParsePastedRedirect(pasted, callbackPath string) (AuthorizationResponse, error) {
	s := strings.Trim(strings.TrimSpace(pasted), `"'<>`)
	if s == "" {
		return AuthorizationResponse{}, errors.New("nothing was pasted: paste the whole address from the browser's address bar")
	}
	var raw string
	switch {
	case strings.Contains(s, "://"):
		u, err := url.Parse(s)
		if err != nil {
			return AuthorizationResponse{}, fmt.Errorf("the pasted text is not an address: %w", err)
		}
		if u.Scheme != "http" || !urlpolicy.IsLoopbackHost(u.Hostname()) || u.Path != callbackPath {
			return AuthorizationResponse{}, fmt.Errorf("the pasted address %q is not the redirect to http://localhost…%s: paste the address the browser failed to load after you signed in", redact(u), callbackPath)
		}
		raw = u.RawQuery
	default:
		raw = strings.TrimPrefix(s, "?")
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return AuthorizationResponse{}, fmt.Errorf("the pasted address has a malformed query: %w", err)
	}
	r := AuthorizationResponse{Query: q}
	if r.Code() == "" && r.ErrorCode() == "" {
		return AuthorizationResponse{}, errors.New("the pasted address has no code: paste the address the browser shows after you signed in, not the login URL")
	}
	return r, nil
}

// redact drops the query (it holds the code) from an address shown back.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment = "", ""
	return c.String()
}

// ReadPastedRedirect reads one line from r and parses it, giving up when
// ctx ends (the --timeout). The read goes on in the background until r
// yields a line or closes; callers pass the process's stdin.
func ReadPastedRedirect(ctx context.Context, r io.Reader, callbackPath string) (AuthorizationResponse, error) {
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		br := bufio.NewReaderSize(io.LimitReader(r, maxPasted+1), 4096)
		s, err := br.ReadString('\n')
		if len(s) > maxPasted {
			err = errors.New("the pasted text is too long to be a redirect")
		} else if errors.Is(err, io.EOF) && strings.TrimSpace(s) != "" {
			err = nil
		}
		ch <- line{s, err}
	}()
	select {
	case <-ctx.Done():
		return AuthorizationResponse{}, ctx.Err()
	case l := <-ch:
		if errors.Is(l.err, io.EOF) {
			return AuthorizationResponse{}, errors.New("no address was pasted (input closed)")
		}
		if l.err != nil {
			return AuthorizationResponse{}, l.err
		}
		return ParsePastedRedirect(l.s, callbackPath)
	}
}
