// Command gendocs writes hello's man pages and shell completion scripts.
//
//	go run ./internal/gendocs -out manpages              # man pages, section 1
//	go run ./internal/gendocs -completions completions   # completion scripts
//
// The completion scripts are byte for byte what "hello completion <shell>"
// prints. Man pages carry no "Auto generated" history line; the month in
// their header comes from SOURCE_DATE_EPOCH when it is set (as in release
// builds), so the output is reproducible.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/hello-cli/hello/cmd"
)

// Completion scripts, named so that each name contains its shell's name.
var completions = []struct {
	file string
	gen  func(root *cobra.Command, w io.Writer) error
}{
	// The same calls as Cobra's default "completion" command, descriptions on.
	{"hello.bash", func(r *cobra.Command, w io.Writer) error { return r.GenBashCompletionV2(w, true) }},
	{"hello.zsh", func(r *cobra.Command, w io.Writer) error { return r.GenZshCompletion(w) }},
	{"hello.fish", func(r *cobra.Command, w io.Writer) error { return r.GenFishCompletion(w, true) }},
	{"hello.powershell.ps1", func(r *cobra.Command, w io.Writer) error { return r.GenPowerShellCompletionWithDesc(w) }},
}

func main() {
	manDir := flag.String("out", "", "write the man pages (section 1) to `DIR`")
	compDir := flag.String("completions", "", "write the shell completion scripts to `DIR`")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: gendocs [-out DIR] [-completions DIR]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || (*manDir == "" && *compDir == "") {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*manDir, *compDir); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(manDir, compDir string) error {
	if manDir != "" {
		if err := writeMan(newRoot(), manDir); err != nil {
			return fmt.Errorf("man pages: %w", err)
		}
	}
	if compDir != "" {
		if err := writeCompletions(newRoot(), compDir); err != nil {
			return fmt.Errorf("completions: %w", err)
		}
	}
	return nil
}

// newRoot builds the command tree exactly as the hello binary does.
func newRoot() *cobra.Command {
	root := cmd.NewCmdRoot(cmd.NewFactory())
	root.DisableAutoGenTag = true
	return root
}

func writeMan(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Drop pages of commands that no longer exist.
	for _, pattern := range []string{"hello.1", "hello-*.1"} {
		stale, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return err
		}
		for _, p := range stale {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	// Title is left empty so that each page gets its own (HELLO, HELLO-LOGIN, …).
	header := &doc.GenManHeader{Section: "1", Source: "hello", Manual: "hello manual"}
	return doc.GenManTree(root, header, dir)
}

func writeCompletions(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var errs []error
	for _, c := range completions {
		var buf bytes.Buffer
		if err := c.gen(root, &buf); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.file, err))
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, c.file), buf.Bytes(), 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
