package apiclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMessage(t *testing.T) {
	t.Parallel()
	var gotAuth, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath = r.Header.Get("Authorization"), r.URL.Path
		_, _ = w.Write([]byte(`{"text":"This is a protected message."}`))
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL + "/", HTTP: srv.Client()}
	resp, err := c.Message(context.Background(), "protected", "tok")
	if err != nil {
		t.Fatal(err)
	}
	if gotAuth != "Bearer tok" || gotPath != "/api/messages/protected" {
		t.Errorf("request: Authorization %q, path %q", gotAuth, gotPath)
	}
	if text, err := resp.Text(); err != nil || text != "This is a protected message." {
		t.Errorf("Text = %q, %v", text, err)
	}
	if _, err := c.Message(context.Background(), "public", ""); err != nil || gotAuth != "" {
		t.Errorf("public message sent Authorization %q (%v)", gotAuth, err)
	}
}

func TestResponseParsing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body    string
		text    string
		textErr bool
		message string
	}{
		{`{"text":"hi"}`, "hi", false, `{"text":"hi"}`},
		{`{"text":""}`, "", false, `{"text":""}`},
		{`{"message":"Permission denied"}`, "", true, "Permission denied"},
		{`<html>502</html>`, "", true, "<html>502</html>"},
		{``, "", true, "(empty body)"},
		{strings.Repeat("x", 300), "", true, strings.Repeat("x", 200) + "…"},
	}
	for _, tt := range tests {
		r := &Response{StatusCode: 200, Body: []byte(tt.body)}
		text, err := r.Text()
		if text != tt.text || (err != nil) != tt.textErr {
			t.Errorf("Text(%q) = %q, %v", tt.body, text, err)
		}
		if got := r.ErrorMessage(); got != tt.message {
			t.Errorf("ErrorMessage(%q) = %q, want %q", tt.body, got, tt.message)
		}
	}
}

func TestKinds(t *testing.T) {
	t.Parallel()
	for _, k := range Kinds {
		if !ValidKind(k) {
			t.Errorf("%s is not valid", k)
		}
	}
	if ValidKind("secret") || NeedsToken("public") || !NeedsToken("admin") {
		t.Error("kind rules are wrong")
	}
}

func FuzzResponse(f *testing.F) {
	f.Add([]byte(`{"text":"x"}`))
	f.Add([]byte(`{"message":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := &Response{Body: body}
		_, _ = r.Text()
		_ = r.ErrorMessage()
	})
}
