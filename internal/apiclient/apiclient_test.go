package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
)

func TestMessage(t *testing.T) {
	t.Parallel()
	var gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		_, _ = w.Write([]byte(`{"text":"This is a protected message."}`))
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL + "/", HTTP: srv.Client()}
	resp, err := c.Message(context.Background(), "protected")
	if err != nil {
		t.Fatal(err)
	}
	if gotPath != "/api/messages/protected" {
		t.Errorf("path %q", gotPath)
	}
	if text, err := resp.Text(); err != nil || text != "This is a protected message." {
		t.Errorf("Text = %q, %v", text, err)
	}
}

func TestMessageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		want   string
	}{
		{401, "refuses even a freshly issued access token: check that it accepts tokens from issuer https://op.example.com/ for audience https://api.example.com"},
		{403, `permission denied: the admin message needs the read:admin-messages permission, which your access token does not carry: ask an administrator to grant it, then run "hello login" again (HTTP 403 Forbidden: nope)`},
		{503, "is not available right now: try again later"},
		{404, "has no admin message: check the API URL"},
		{418, "refused the request for the admin message"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(`{"message":"nope"}`))
		}))
		c := &Client{BaseURL: srv.URL, HTTP: srv.Client(), Issuer: "https://op.example.com/", Audience: "https://api.example.com"}
		_, err := c.Message(context.Background(), "admin")
		srv.Close()
		var he *httperr.Error
		if !errors.As(err, &he) || he.StatusCode != tc.status || he.What != httperr.API {
			t.Errorf("%d: error %v does not unwrap to the API's status", tc.status, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d: error %q does not contain %q", tc.status, err, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body    string
		text    string
		textErr bool
	}{
		{`{"text":"hi"}`, "hi", false},
		{`{"text":""}`, "", false},
		{`{"message":"Permission denied"}`, "", true},
		{`<html>502</html>`, "", true},
		{``, "", true},
	} {
		r := &Response{Body: []byte(tt.body)}
		text, err := r.Text()
		if text != tt.text || (err != nil) != tt.textErr {
			t.Errorf("Text(%q) = %q, %v", tt.body, text, err)
		}
	}
}

// staticTokens is a session double that always has the same token.
type staticTokens struct{}

func (staticTokens) Token(context.Context, session.Want) (*token.Token, error) {
	return &token.Token{AccessToken: "at"}, nil
}

func TestRedirectToAnotherOriginIsNotUnreachable(t *testing.T) {
	t.Parallel()
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization") != "")
		_, _ = w.Write([]byte(`{"text":"elsewhere"}`))
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer api.Close()
	c := &Client{BaseURL: api.URL, HTTP: session.Client(api.Client(), staticTokens{}, api.URL)}
	_, err := c.Message(context.Background(), "protected")
	if !errors.Is(err, session.ErrOtherOrigin) {
		t.Fatalf("Message = %v, want ErrOtherOrigin", err)
	}
	// The API answered: saying it could not be reached sends the user
	// looking for a server that is running fine.
	if msg := err.Error(); strings.Contains(msg, "could not be reached") || !strings.Contains(msg, "another origin") || !strings.Contains(msg, api.URL) {
		t.Errorf("error %q: want it to say the API redirected elsewhere, naming the API", msg)
	}
	if leaked.Load() {
		t.Error("the token reached the other origin")
	}
}
