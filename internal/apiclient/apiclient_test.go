package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hello-cli/hello/internal/httperr"
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
		{403, "permission denied: the admin message needs the read:admin-messages permission (HTTP 403 Forbidden: nope)"},
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
