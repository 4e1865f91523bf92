package cmd

import (
	"testing"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/exitcode"
)

func TestJSONOutputFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		format     string
		tty        bool
		wantJSON   bool
		wantFilter bool
		wantCode   int // exit code of the error, 0 for none
	}{
		{"text by default", nil, "text", false, false, false, 0},
		{"-o json", nil, "json", false, true, false, 0},
		{"--jq implies JSON", []string{"--jq", ".text"}, "text", false, true, true, 0},
		{"--jq with -o json", []string{"--jq", ".text"}, "json", true, true, true, 0},
		{"bad expression is usage", []string{"--jq", ".["}, "json", false, false, false, exitcode.Usage},
		{"empty expression is usage", []string{"--jq", ""}, "json", false, false, false, exitcode.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := &cobra.Command{Use: "x"}
			addJQFlag(cmd)
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			asJSON, out, err := jsonOutput(cmd, tt.tty, tt.format)
			if tt.wantCode != 0 {
				if code := exitCode(t.Context(), err); code != tt.wantCode {
					t.Fatalf("error %v has exit code %d, want %d", err, code, tt.wantCode)
				}
				return
			}
			if err != nil || asJSON != tt.wantJSON || (out.Filter != nil) != tt.wantFilter || out.Indent != tt.tty {
				t.Errorf("jsonOutput = %v, %+v, %v; want JSON %v, filter %v, indent %v", asJSON, out, err, tt.wantJSON, tt.wantFilter, tt.tty)
			}
		})
	}
}
