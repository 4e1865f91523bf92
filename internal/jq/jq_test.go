package jq

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hello-cli/hello/pkg/termsafe"
)

func TestRun(t *testing.T) {
	t.Parallel()
	const doc = `{"text":"This is a public message.","n":12345678901234567890,"list":[1,"two",{"k":true}],"evil":"Eve\u001b[2J\u0007","c1":"a` + "\u009b" + `2J"}`
	tests := []struct {
		name, expr string
		indent     bool
		want       string
	}{
		{"string raw", ".text", false, "This is a public message.\n"},
		{"whole document compact", "{text}", false, `{"text":"This is a public message."}` + "\n"},
		{"indented on a terminal", "{text}", true, "{\n  \"text\": \"This is a public message.\"\n}\n"},
		{"big number exact", ".n", false, "12345678901234567890\n"},
		{"several results", ".list[]", false, "1\ntwo\n{\"k\":true}\n"},
		{"hostile string made visible", ".evil", false, "Eve^[[2J^G\n"},
		{"hostile string inside JSON escaped", "{evil}", false, `{"evil":"Eve\u001b[2J\u0007"}` + "\n"},
		{"raw C1 inside JSON escaped", "[.c1]", false, `["a\u009b2J"]` + "\n"},
		{"no results", "empty", false, ""},
		{"null", ".missing", false, "null\n"},
		{"no environment", "$ENV | length", false, "0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Compile(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := f.Run(context.Background(), &out, []byte(doc), tt.indent); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("%s: got %q, want %q", tt.expr, out.String(), tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{".[", "foo(", "nosuchfunction", `"unterminated`, ".a |"} {
		_, err := Compile(expr)
		var exprErr *ExprError
		if !errors.As(err, &exprErr) {
			t.Errorf("Compile(%q) = %v, want an *ExprError", expr, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "is not valid jq") || !strings.Contains(msg, expr) {
			t.Errorf("Compile(%q): message %q does not say the expression is not valid", expr, msg)
		}
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	f, err := Compile(".text.name")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = f.Run(context.Background(), &out, []byte(`{"text":"hi"}`), false)
	var runErr *RunError
	if !errors.As(err, &runErr) {
		t.Fatalf("Run = %v, want a *RunError", err)
	}
	if out.Len() != 0 {
		t.Errorf("a failed filter printed %q", out.String())
	}
}

func TestRunStopsWithContext(t *testing.T) {
	t.Parallel()
	f, err := Compile("repeat(1)")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := f.Run(ctx, &out, []byte(`null`), false); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run on a cancelled context = %v, want context.Canceled", err)
	}
}

// FuzzRun feeds any document a server might send through a few filters:
// whatever comes out is safe on a terminal, strings and JSON alike.
func FuzzRun(f *testing.F) {
	for _, s := range []string{`{"text":"Eve\u001b[2J"}`, "[\"\u009b\u202e\"]", `"\u0007"`, `12345678901234567890`, "{\"a\":\"\xff\"}"} {
		f.Add(s)
	}
	filters := []*Filter{}
	for _, expr := range []string{".", ".. | strings", "[.. | scalars]", "tostream"} {
		flt, err := Compile(expr)
		if err != nil {
			f.Fatal(err)
		}
		filters = append(filters, flt)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		for _, flt := range filters {
			for _, indent := range []bool{false, true} {
				var out bytes.Buffer
				if err := flt.Run(context.Background(), &out, []byte(doc), indent); err != nil {
					continue // not JSON, or the filter does not apply
				}
				for i, r := range out.String() {
					if termsafe.IsUnsafe(r) && r != '\n' && r != '\t' {
						t.Fatalf("%s on %q printed %U at %d: %q", flt, doc, r, i, out.String())
					}
				}
			}
		}
	})
}
