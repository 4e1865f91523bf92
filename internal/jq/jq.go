// Package jq filters hello's JSON output with a jq expression (--jq). It
// uses gojq, the engine the GitHub CLI uses, and prints the results as gh
// does: a string result raw on its own line, any other result as JSON.
package jq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/itchyny/gojq"

	"github.com/hello-cli/hello/pkg/termsafe"
)

// Filter is a compiled --jq expression.
type Filter struct {
	expr string
	code *gojq.Code
}

// ExprError is an expression that does not parse or compile: a usage
// mistake, found before any request is made.
type ExprError struct {
	Expr string
	Err  error
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("the --jq expression %q is not valid jq (%v): check its syntax", e.Expr, e.Err)
}

func (e *ExprError) Unwrap() error { return e.Err }

// RunError is a valid expression that failed on the document, such as
// .name applied to an array.
type RunError struct {
	Expr string
	Err  error
}

func (e *RunError) Error() string {
	return fmt.Sprintf("the --jq expression %q failed on the output (%v): check the expression against the -o json output", e.Expr, e.Err)
}

func (e *RunError) Unwrap() error { return e.Err }

// Compile parses and compiles expr. The expression sees no environment
// variables ($ENV is empty): hello's environment holds its client secret.
func Compile(expr string) (*Filter, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, &ExprError{Expr: expr, Err: err}
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, &ExprError{Expr: expr, Err: err}
	}
	return &Filter{expr: expr, code: code}, nil
}

// String returns the expression as given.
func (f *Filter) String() string { return f.expr }

// Run evaluates f on doc, a JSON document, and writes each result to w: a
// string as terminal-safe text and a newline, anything else as JSON on one
// line, or indented when indent is set (gh indents on a terminal). The
// output is written only once every result is known, so a failure midway
// leaves nothing half printed. ctx stops an expression that never ends.
func (f *Filter) Run(ctx context.Context, w io.Writer, doc []byte, indent bool) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber() // keep big and precise numbers exactly as sent
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("decode the JSON for --jq: %w", err)
	}
	var out bytes.Buffer
	iter := f.code.RunWithContext(ctx, v)
	for {
		r, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := r.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break // halt: stop quietly, as jq does
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &RunError{Expr: f.expr, Err: err}
		}
		if err := writeResult(&out, r, indent); err != nil {
			return err
		}
	}
	_, err := w.Write(out.Bytes())
	return err
}

func writeResult(out *bytes.Buffer, r any, indent bool) error {
	if s, ok := r.(string); ok {
		out.WriteString(termsafe.Text(s))
		out.WriteByte('\n')
		return nil
	}
	b, err := gojq.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode a --jq result: %w", err)
	}
	if indent {
		var ind bytes.Buffer
		if err := json.Indent(&ind, b, "", "  "); err == nil {
			b = ind.Bytes()
		}
	}
	out.Write(termsafe.JSON(b))
	out.WriteByte('\n')
	return nil
}
