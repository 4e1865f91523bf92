package cmd

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at release time with -ldflags "-X github.com/hello-cli/hello/cmd.version=…".
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// NewCmdVersion builds `hello version`.
func NewCmdVersion(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:         "version",
		Short:       "Print the version, commit and build date",
		Args:        noArgs,
		Annotations: map[string]string{skipConfig: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printVersion(f, cmd)
		},
	}
	addJQFlag(cmd)
	return cmd
}

// printVersion is `hello version` and `hello --version`.
func printVersion(f *Factory, cmd *cobra.Command) error {
	// version skips the configuration, so -o is read from the flag alone.
	format, _ := cmd.Flags().GetString("output")
	asJSON, out, err := jsonOutput(cmd, f.IO.IsStdoutTTY(), format)
	if err != nil {
		return err
	}
	v, c, d := buildInfo()
	if asJSON {
		return out.Value(cmd.Context(), f.IO.Out, map[string]string{"version": v, "commit": c, "date": d})
	}
	_, err = fmt.Fprintln(f.IO.Out, versionString(v, c, d))
	return err
}

// buildInfo falls back on what the Go toolchain recorded, so that a
// `go install` build still says which commit it is.
func buildInfo() (v, c, d string) {
	v, c, d = version, commit, date
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.time" && d == "":
				d = s.Value
			}
		}
	}
	return v, c, d
}

func versionString(v, c, d string) string {
	out := "hello " + v
	if c != "" {
		out += " (commit " + c
		if d != "" {
			out += ", built " + d
		}
		out += ")"
	}
	return out
}
