package httperr

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"5", 5 * time.Second, true},
		{"0", 0, true},
		{"31", 30 * time.Second, true},
		{"99999999999999999", 30 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second, true},
		{now.Add(time.Hour).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{now.Add(3 * time.Second).Format(time.RFC850), 3 * time.Second, true},
	} {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestFromResponse(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		status    int
		header    http.Header
		body      string
		wantCode  string
		wantTemp  bool
		wantRetry time.Duration
		wantText  string
	}{
		{"oauth error", 400, nil, `{"error":"invalid_grant","error_description":"reused"}`, "invalid_grant", false, 0, "refused the request (HTTP 400 Bad Request: invalid_grant: reused)"},
		{"temporarily_unavailable with 400", 400, nil, `{"error":"temporarily_unavailable"}`, "temporarily_unavailable", true, 0, "try again later"},
		{"429 with Retry-After", 429, http.Header{"Retry-After": {"7"}}, ``, "", true, 7 * time.Second, "it asked to wait 7s"},
		{"503 capped Retry-After", 503, http.Header{"Retry-After": {"3600"}}, `oops`, "", true, MaxRetryAfter, "try again later"},
		{"bearer error", 401, http.Header{"Www-Authenticate": {`Bearer error="invalid_token", error_description="x"`}}, ``, "invalid_token", false, 0, "invalid_token"},
		{"api message", 403, nil, `{"message":"insufficient scope"}`, "", false, 0, "insufficient scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			for k, v := range tc.header {
				rec.Header()[k] = v
			}
			rec.WriteHeader(tc.status)
			rec.WriteString(tc.body)
			resp := rec.Result()
			resp.Request = httptest.NewRequest("GET", "https://op.example.com/token?secret=x", nil)
			e := FromResponse(Token, resp, now)
			if e.Code != tc.wantCode || e.Temporary() != tc.wantTemp || e.RetryAfter != tc.wantRetry {
				t.Errorf("got code %q temporary %v retry %v", e.Code, e.Temporary(), e.RetryAfter)
			}
			if !strings.Contains(e.Error(), tc.wantText) || !strings.HasPrefix(e.Error(), string(Token)) {
				t.Errorf("Error() = %q, want it to start with %q and contain %q", e.Error(), Token, tc.wantText)
			}
			if strings.Contains(e.URL, "secret") {
				t.Errorf("URL keeps the query: %s", e.URL)
			}
		})
	}
}

func TestDetailIsOneSafeLine(t *testing.T) {
	t.Parallel()
	e := FromBody(API, 500, nil, []byte(`{"error":"bad\ncode","error_description":"one\r\nhello: two\u001b[2J"}`), time.Now())
	if got, want := e.Detail(), "HTTP 500 Internal Server Error: bad^Jcode: one^M^Jhello: two^[[2J"; got != want {
		t.Errorf("Detail() = %q, want %q", got, want)
	}
}
