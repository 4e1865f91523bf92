package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/apirequest"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/output"
)

// APIOptions are the inputs of `hello api`.
type APIOptions struct {
	Request apirequest.Spec
	Include bool
	MinTTL  time.Duration
}

// maxAPIResponse bounds the answer hello api reads: it is printed whole or
// not at all, never cut.
const maxAPIResponse = 16 << 20

// NewCmdAPI builds `hello api`.
func NewCmdAPI(f *Factory, runF func(*APIOptions) error) *cobra.Command {
	opts := &APIOptions{}
	cmd := &cobra.Command{
		Use:   "api [-X METHOD] PATH",
		Short: "Make an authenticated request to the Hello World API",
		Long: `Send a request to PATH under the configured API URL with your access
token, and print the answer's body. The token only ever goes to the API's
own origin: an absolute URL anywhere else is refused, and so is a redirect
there.

-f key=value fields make a JSON object body (and the method POST); with
-X GET, or with --input, they are query parameters instead. --input FILE
(or - for standard input) sends that file as the body. -H adds a header.

The token is renewed first when it has expired (or when less than --min-ttl
remains), and once more, with one retry, when the API answers 401. Exit
codes are those of "hello messages": 4 when the API still refuses the
token, 5 for 403, 3 for 5xx, 1 for any other answer that is not 2xx; the
body is printed in every case.`,
		Example: `  hello api /api/messages/admin
  hello api -X POST /api/items -f name=first -f colour=blue
  hello api -X PUT /api/items/1 --input item.json -H 'If-Match: "v1"'
  hello api -i /api/messages/protected`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return exitcode.Newf(exitcode.Usage, "expected one PATH, such as /api/messages/public\nRun '%s --help' for usage.", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Request.Path = args[0]
			if err := checkMinTTL(opts.MinTTL); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return apiRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Request.Method, "method", "X", "", "HTTP method (default GET, or POST with a body)")
	fl.StringArrayVarP(&opts.Request.Headers, "header", "H", nil, "add a request header, 'Name: value' (repeatable)")
	fl.StringArrayVarP(&opts.Request.Fields, "field", "f", nil, "add a string field, key=value (repeatable)")
	fl.StringVar(&opts.Request.Input, "input", "", "file to send as the request body, - for standard input")
	fl.BoolVarP(&opts.Include, "include", "i", false, "print the status line and response headers before the body")
	minTTLFlag(cmd, &opts.MinTTL)
	_ = cmd.RegisterFlagCompletionFunc("method", cobra.FixedCompletions([]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("header", cobra.FixedCompletions([]string{"Accept: ", "Content-Type: ", "If-Match: ", "If-None-Match: "}, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveNoSpace))
	_ = cmd.RegisterFlagCompletionFunc("field", cobra.NoFileCompletions)
	// --input completes file names, the default.
	cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		paths := make([]string, 0, 3)
		for _, k := range []string{"public", "protected", "admin"} {
			paths = append(paths, "/api/messages/"+k)
		}
		return paths, cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

func apiRun(ctx context.Context, f *Factory, o *APIOptions) error {
	spec := o.Request
	spec.Stdin = f.IO.In
	// The request is checked before the session is touched: a refused
	// origin or a bad header costs no renewal.
	req, err := apirequest.Build(ctx, f.Settings.APIURL, spec)
	if err != nil {
		var ue *apirequest.UsageError
		if errors.As(err, &ue) {
			return exitcode.New(exitcode.Usage, err)
		}
		return err
	}
	hc, err := authorizedClient(ctx, f, o.MinTTL)
	if err != nil {
		return err
	}
	api, _ := url.Parse(f.Settings.APIURL)
	resp, err := apirequest.Client(hc, api).Do(req)
	if err != nil {
		return fmt.Errorf("call the API: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse+1))
	if err != nil {
		return fmt.Errorf("read the API's answer: %w", err)
	}
	if len(body) > maxAPIResponse {
		return fmt.Errorf("the API's answer is larger than %d MiB; hello api prints answers whole or not at all", maxAPIResponse>>20)
	}
	if o.Include {
		if err := apirequest.WriteHead(f.IO.Out, resp, visible); err != nil {
			return err
		}
	}
	if err := writeAPIBody(f, resp, body); err != nil {
		return err
	}
	return apiAnswerError(resp, body, req)
}

// writeAPIBody prints the body: as the API sent it, or with -o json
// re-indented, which fails (exit 1) for a body that is not JSON.
func writeAPIBody(f *Factory, resp *http.Response, body []byte) error {
	if len(body) == 0 {
		return nil
	}
	if f.JSON() {
		if !json.Valid(body) {
			return fmt.Errorf("the API's answer is not JSON (content type %q), so -o json cannot print it", resp.Header.Get("Content-Type"))
		}
		return output.WriteRawJSON(f.IO.Out, body)
	}
	if _, err := f.IO.Out.Write([]byte(visible(string(body)))); err != nil {
		return err
	}
	if !bytes.HasSuffix(body, []byte("\n")) {
		_, err := io.WriteString(f.IO.Out, "\n")
		return err
	}
	return nil
}

// apiAnswerError maps the answer's status to hello's exit codes, as for
// `hello messages`.
func apiAnswerError(resp *http.Response, body []byte, req *http.Request) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	what := fmt.Sprintf("%s %s", req.Method, req.URL.Path)
	detail := apiMessage(body)
	switch {
	case code == http.StatusUnauthorized:
		return exitcode.Newf(exitcode.NoSession, "the API refused the access token for %s, even renewed (HTTP 401%s): run \"hello login\", or check the audience", what, detail)
	case code == http.StatusForbidden:
		return exitcode.Newf(exitcode.Forbidden, "permission denied for %s (HTTP 403%s): your token lacks a permission this needs", what, detail)
	case code >= 500:
		return exitcode.Newf(exitcode.Unavailable, "the API failed on %s (HTTP %d%s): try again later", what, code, detail)
	case code >= 300 && code < 400:
		return fmt.Errorf("the API redirected %s to %s (HTTP %d), which hello api does not follow with your token", what, visible(resp.Header.Get("Location")), code)
	default:
		return fmt.Errorf("the API answered HTTP %d for %s%s", code, what, detail)
	}
}

// apiMessage is ", message" from an error body's "message" field, or "".
func apiMessage(body []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		return ": " + visible(m.Message)
	}
	return ""
}

// visible makes text from a server safe for a terminal: control characters
// other than newline and tab are shown escaped instead of acted on.
func visible(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0)
}
