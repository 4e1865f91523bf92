package helloapi

import (
	"net/http"
	"strconv"
)

// response is one of the API's fixed answers. They are all built once at
// start-up so the hot path only copies slice headers into the header map.
type response struct {
	status  int
	body    []byte
	length  []string // Content-Length
	wwwAuth []string // WWW-Authenticate, nil when not a 401/403
}

func newResponse(status int, body string, wwwAuth string) response {
	r := response{
		status: status,
		body:   []byte(body),
		length: []string{strconv.Itoa(len(body))},
	}
	if wwwAuth != "" {
		r.wwwAuth = []string{wwwAuth}
	}
	return r
}

// The WWW-Authenticate challenges of RFC 6750 §3: no error code when the
// request carried no credentials, invalid_token when they were bad, and
// insufficient_scope when they were good but not enough.
const (
	challengeMissing   = `Bearer realm="api"`
	challengeInvalid   = `Bearer realm="api", error="invalid_token"`
	challengeForbidden = `Bearer realm="api", error="insufficient_scope"`
)

var (
	respPublic         = newResponse(http.StatusOK, `{"text":"This is a public message."}`, "")
	respProtected      = newResponse(http.StatusOK, `{"text":"This is a protected message."}`, "")
	respAdmin          = newResponse(http.StatusOK, `{"text":"This is an admin message."}`, "")
	respRequiresAuth   = newResponse(http.StatusUnauthorized, `{"message":"Requires authentication"}`, challengeMissing)
	respBadCredentials = newResponse(http.StatusUnauthorized, `{"message":"Bad credentials"}`, challengeInvalid)
	respForbidden      = newResponse(http.StatusForbidden, `{"message":"Permission denied"}`, challengeForbidden)
	respNotFound       = newResponse(http.StatusNotFound, `{"message":"Not Found"}`, "")
	respInternal       = newResponse(http.StatusInternalServerError, `{"message":"Internal Server Error"}`, "")
	// A preflight has no body; 204 is what the samples' cors middleware sends.
	respPreflight = response{status: http.StatusNoContent}
)

// Header values, each in its own one-element slice. Sharing them between
// responses is safe: net/http only reads them, and Header.Add on a full
// slice copies it before appending.
var (
	hdrContentType = []string{"application/json; charset=utf-8"}
	hdrHSTS        = []string{"max-age=31536000; includeSubDomains"}
	hdrNoSniff     = []string{"nosniff"}
	hdrFrameDeny   = []string{"DENY"}
	hdrCSP         = []string{"default-src 'self'; frame-ancestors 'none'"}
	hdrCacheCtl    = []string{"no-store, max-age=0"}
	hdrPragma      = []string{"no-cache"}
	// 0 turns off the legacy XSS auditor, which did more harm than good;
	// the CSP above is the real protection.
	hdrXSS = []string{"0"}

	hdrVaryOrigin   = []string{"Origin"}
	hdrAllowOrigin  = []string{allowedOrigin}
	hdrAllowMethods = []string{"GET"}
	hdrAllowHeaders = []string{"Authorization, Content-Type"}
	hdrMaxAge       = []string{"86400"}
)

// setSecurityHeaders sets the headers Auth0's samples send (helmet's
// defaults, narrowed for an API) on every answer, errors included. Keys are
// written in canonical form so the map is indexed directly.
func setSecurityHeaders(h http.Header) {
	h["Strict-Transport-Security"] = hdrHSTS
	h["X-Content-Type-Options"] = hdrNoSniff
	h["X-Frame-Options"] = hdrFrameDeny
	h["Content-Security-Policy"] = hdrCSP
	h["Cache-Control"] = hdrCacheCtl
	h["Pragma"] = hdrPragma
	h["X-Xss-Protection"] = hdrXSS
}

func writeResponse(w http.ResponseWriter, h http.Header, r *response) {
	if r.body != nil {
		h["Content-Type"] = hdrContentType
		h["Content-Length"] = r.length
	}
	if r.wwwAuth != nil {
		h["Www-Authenticate"] = r.wwwAuth
	}
	w.WriteHeader(r.status)
	if r.body != nil {
		// A failed write means the client went away; there is no one left
		// to tell.
		_, _ = w.Write(r.body)
	}
}
