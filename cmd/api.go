package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/apiclient"
	"github.com/hello-cli/hello/internal/apirequest"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/pkg/termsafe"
)

// APIOptions are the inputs of `hello api`.
type APIOptions struct {
	Request apirequest.Spec
	Include bool
	MinTTL  time.Duration

	IO   *iostreams.IOStreams
	JSON bool
	// JSONOut prints the body for -o json and --jq.
	JSONOut output.JSON
	Now     func() time.Time
	// APIURL is the configured API; Issuer and Audience are named when it
	// refuses a fresh token.
	APIURL, Issuer, Audience string
	// Token hands out a usable token from the session.
	Token func(context.Context, session.Want) (*token.Token, error)
	// Client is the session's authenticated client for the API's origin.
	Client func(ctx context.Context) (*http.Client, error)
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
			var err error
			if opts.JSON, opts.JSONOut, err = f.jsonOutput(cmd); err != nil {
				return err
			}
			if opts.Include && opts.JSON {
				// -o json is JSON or a failure: headers would make it neither.
				return exitcode.Newf(exitcode.Usage, "--include prints the status line and headers, which are not JSON: use it with -o text and without --jq")
			}
			s := f.Settings
			opts.IO, opts.Now, opts.Token = f.IO, f.Now, f.tokens
			opts.APIURL, opts.Issuer, opts.Audience = s.APIURL, s.Issuer, s.Audience
			opts.Client = func(ctx context.Context) (*http.Client, error) { return f.authenticated(ctx, s.APIURL) }
			if runF != nil {
				return runF(opts)
			}
			return apiRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Request.Method, "method", "X", "", "HTTP method (default GET, or POST with a body)")
	fl.StringArrayVarP(&opts.Request.Headers, "header", "H", nil, "add a request header, 'Name: value' (repeatable)")
	fl.StringArrayVarP(&opts.Request.Fields, "field", "f", nil, "add a string field, key=value (repeatable)")
	fl.StringVar(&opts.Request.Input, "input", "", "file to send as the request body, - for standard input")
	fl.BoolVarP(&opts.Include, "include", "i", false, "print the status line and response headers before the body (text output only)")
	minTTLFlag(cmd, &opts.MinTTL)
	addJQFlag(cmd)
	_ = cmd.RegisterFlagCompletionFunc("method", cobra.FixedCompletions([]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("header", cobra.FixedCompletions([]string{"Accept: ", "Content-Type: ", "If-Match: ", "If-None-Match: "}, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveNoSpace))
	_ = cmd.RegisterFlagCompletionFunc("field", cobra.NoFileCompletions)
	// --input completes file names, the default.
	cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		paths := make([]string, 0, len(apiclient.Kinds))
		for _, k := range apiclient.Kinds {
			paths = append(paths, "/api/messages/"+k)
		}
		return paths, cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

func apiRun(ctx context.Context, o *APIOptions) error {
	spec := o.Request
	spec.Stdin = o.IO.In
	// The request is checked before the session is touched: a refused
	// origin or a bad header costs no renewal.
	req, err := apirequest.Build(ctx, o.APIURL, spec)
	if err != nil {
		var ue *apirequest.UsageError
		if errors.As(err, &ue) {
			return exitcode.New(exitcode.Usage, err)
		}
		return err
	}
	if _, err := tokenWithin(ctx, o.Token, o.Now, o.MinTTL); err != nil {
		return err
	}
	hc, err := o.Client(ctx)
	if err != nil {
		return err
	}
	api, err := url.Parse(o.APIURL)
	if err != nil {
		return err
	}
	resp, err := apirequest.Client(hc, api).Do(req)
	if err != nil {
		var te *session.TokenError
		if errors.As(err, &te) {
			return te
		}
		return fmt.Errorf("the API at %s could not be reached: check that it is running and the API URL is right (%w)", o.APIURL, err)
	}
	defer resp.Body.Close()
	// Read whole or refused, never cut (output.ReadBody).
	what := req.Method + " " + req.URL.Path
	body, err := output.ReadBody(resp.Body, maxAPIResponse)
	var tooLarge *output.TooLargeError
	if errors.As(err, &tooLarge) {
		return &apiBodyError{err: err, msg: fmt.Sprintf(`the API's answer to %s is larger than %s, more than hello api accepts: fetch it with curl -H @- and "hello token --format header"`, what, tooLarge.Size())}
	}
	if err != nil {
		return fmt.Errorf("read the API's answer: %w", err)
	}
	if o.Include {
		if err := apirequest.WriteHead(o.IO.Out, resp, termsafe.Line); err != nil {
			return err
		}
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if err := writeAPIBody(ctx, o, what, resp, body); err != nil {
		// With -o json an error answer that is not JSON (a proxy's HTML
		// page) prints nothing, and its status still decides the exit
		// code: a script retries on 3 as it does for "hello messages".
		var notJSON *output.NotJSONError
		if ok || !errors.As(err, &notJSON) {
			return err
		}
	}
	if ok {
		return nil
	}
	e := &APIAnswerError{Method: req.Method, Path: req.URL.Path, APIURL: o.APIURL, Issuer: o.Issuer, Audience: o.Audience,
		Location: resp.Header.Get("Location"),
		Err:      httperr.FromBody(httperr.API, resp.StatusCode, resp.Header, body, o.Now())}
	return exitcode.New(httpExitCode(e.Err, true), e)
}

// writeAPIBody prints the body: as the API sent it, made safe for a
// terminal; or with -o json (or --jq) as JSON, which fails (exit 1) for a
// body that is not JSON.
func writeAPIBody(ctx context.Context, o *APIOptions, what string, resp *http.Response, body []byte) error {
	if len(body) == 0 {
		return nil
	}
	if o.JSON {
		if err := output.CheckJSON(body, resp.Header.Get("Content-Type")); err != nil {
			var notJSON *output.NotJSONError
			if errors.As(err, &notJSON) {
				return &apiBodyError{err: err, msg: fmt.Sprintf("the API's answer to %s is not JSON: run the command without -o json and --jq to see it (%s)", what, notJSON.TypeName())}
			}
			return err
		}
		return o.JSONOut.Document(ctx, o.IO.Out, body)
	}
	if _, err := io.WriteString(o.IO.Out, termsafe.Text(string(body))); err != nil {
		return err
	}
	if !bytes.HasSuffix(body, []byte("\n")) {
		_, err := io.WriteString(o.IO.Out, "\n")
		return err
	}
	return nil
}

// apiBodyError is an answer's body that hello api does not print, said in
// plain words; err is the output package's own error, for errors.As.
type apiBodyError struct {
	msg string
	err error
}

func (e *apiBodyError) Error() string { return e.msg }
func (e *apiBodyError) Unwrap() error { return e.err }

// APIAnswerError is an answer of hello api's that is not 2xx. Its body has
// been printed already; this says what it means. The exit code follows the
// status as for "hello messages".
type APIAnswerError struct {
	Method, Path             string
	APIURL, Issuer, Audience string
	Location                 string // of a redirect not followed
	Err                      *httperr.Error
}

func (e *APIAnswerError) Unwrap() error { return e.Err }

func (e *APIAnswerError) Error() string {
	what := e.Method + " " + e.Path
	switch s := e.Err.StatusCode; {
	case s == http.StatusUnauthorized:
		// The authenticated client already renewed the token and retried.
		aud := e.Audience
		if aud == "" {
			aud = "(none)"
		}
		return fmt.Sprintf("the API at %s refuses even a freshly issued access token for %s: check that it accepts tokens from issuer %s for audience %s (%s)", e.APIURL, what, e.Issuer, aud, e.Err.Detail())
	case s == http.StatusForbidden:
		return fmt.Sprintf("permission denied for %s: your token lacks a permission it needs (%s)", what, e.Err.Detail())
	case e.Err.Temporary():
		return fmt.Sprintf("the API at %s is not available right now for %s: try again later (%s)", e.APIURL, what, e.Err.Detail())
	case s >= 300 && s < 400:
		return fmt.Sprintf("the API redirected %s to %s, which hello api does not follow with your token (%s)", what, termsafe.Line(e.Location), e.Err.Detail())
	default:
		return fmt.Sprintf("the API refused %s (%s)", what, e.Err.Detail())
	}
}
