package transport

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// logTransport writes one line per HTTP request for --verbose, such as
// "* GET https://host/path?code=[REDACTED] -> 200 (12ms)".
// Only method, redacted URL, status and duration: headers and bodies carry
// tokens and client secrets, so they are never logged.
type logTransport struct {
	next http.RoundTripper
	w    io.Writer
	now  func() time.Time
	mu   sync.Mutex // one line at a time when requests run concurrently
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.now()
	resp, err := t.next.RoundTrip(req)
	elapsed := fmt.Sprintf("%.1fms", float64(t.now().Sub(start).Microseconds())/1000)
	u := redactURL(req.URL)
	var line string
	if err != nil {
		// Some errors quote the URL; never let them undo the redaction.
		msg := strings.ReplaceAll(err.Error(), req.URL.String(), u)
		line = fmt.Sprintf("* %s %s -> error: %s (%s)\n", req.Method, u, msg, elapsed)
	} else {
		line = fmt.Sprintf("* %s %s -> %d (%s)\n", req.Method, u, resp.StatusCode, elapsed)
	}
	t.mu.Lock()
	_, _ = io.WriteString(t.w, line)
	t.mu.Unlock()
	return resp, err
}
