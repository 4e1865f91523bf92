package cmd

import (
	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/jq"
	"github.com/hello-cli/hello/internal/output"
)

// flagJQ is the --jq flag of every command that has -o json.
const flagJQ = "jq"

// addJQFlag declares --jq on cmd.
func addJQFlag(cmd *cobra.Command) {
	cmd.Flags().String(flagJQ, "", "filter the JSON output with a jq expression (implies -o json); string results print raw")
}

// jsonOutput reads -o and --jq for cmd: whether it prints JSON, and the
// printer to use. --jq implies JSON. A bad expression is a usage error,
// found here, before any request is made.
func jsonOutput(cmd *cobra.Command, ttyOut bool, format string) (bool, output.JSON, error) {
	out := output.JSON{Indent: ttyOut}
	fl := cmd.Flags().Lookup(flagJQ)
	if fl == nil || !fl.Changed {
		return format == config.OutputJSON, out, nil
	}
	filter, err := jq.Compile(fl.Value.String())
	if err != nil {
		return false, out, exitcode.New(exitcode.Usage, err)
	}
	out.Filter = filter
	return true, out, nil
}

// jsonOutput is the package function for the configured -o.
func (f *Factory) jsonOutput(cmd *cobra.Command) (bool, output.JSON, error) {
	format := ""
	if f.Settings != nil {
		format = f.Settings.Output
	}
	return jsonOutput(cmd, f.IO.IsStdoutTTY(), format)
}
