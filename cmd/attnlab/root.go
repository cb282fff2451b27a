package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/attnlab/attnlab/report"
	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// usageError marks bad input on the command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// env is what every command gets: where to write, and the global flags.
type env struct {
	stdout, stderr io.Writer
	args           []string // the command line, for manifests
	ctx            context.Context
	width          int // terminal columns tables are fitted to
}

// render prints tables fitted to the terminal (all columns with wide).
func (e *env) render(wide bool, note string, tables ...*report.Table) error {
	for _, t := range tables {
		if err := t.RenderWith(e.stdout, report.RenderOptions{Width: e.width, Wide: wide, Note: note}); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}

// run executes the command line and returns the exit status. It is the only
// place that prints an error.
func run(args []string, stdout, stderr io.Writer) (code int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: stdout, stderr: stderr, args: append([]string{"attnlab"}, args...), ctx: ctx, width: report.TerminalWidth(stdout)}
	root := newRootCmd(e)
	root.SetArgs(args)
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "attnlab: internal error: %v (please report it with the command line)\n", r)
			code = exitRuntime
		}
	}()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	msg := strings.TrimSpace(err.Error())
	msg = strings.ReplaceAll(msg, "\n", " ")
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(msg) {
		fmt.Fprintf(stderr, "attnlab: %s\n", msg)
		return exitUsage
	}
	fmt.Fprintf(stderr, "attnlab: %s\n", msg)
	return exitRuntime
}

// isCobraUsage recognises the errors cobra itself returns for a bad
// command line (unknown command, wrong argument count).
func isCobraUsage(msg string) bool {
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown shorthand flag", "unknown flag", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func version() string {
	v, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
			if s.Key == "vcs.modified" && s.Value == "true" {
				rev += "+dirty"
			}
		}
	}
	if rev != "" {
		return v + " " + rev
	}
	return v
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "attnlab",
		Short: "A lab bench for attention mechanisms and the circuits they form in tiny transformers",
		Long: `attnlab trains or loads tiny transformers (TransformerLens layout) and answers
precise questions about their attention: which heads are induction heads and
how they compose, how much attention sinks into the first token, how exact
recall differs between softmax and linear attention. Every answer is written
as CSV tables, PNG figures and a table on the terminal.`,
		Example: `  attnlab induction                      # induction heads of the embedded model
  attnlab train --task induction --out m.safetensors
  attnlab inspect m.safetensors`,
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%v (see 'attnlab %s --help')", err, c.Name())
	})
	root.AddCommand(newInductionCmd(e), newTrainCmd(e), newInspectCmd(e), newRunCmd(e))
	root.AddCommand(newSinkCmd(e))
	root.AddCommand(newRetrievalCmd(e), newMergeCmd(e), newVerifyCmd(e))
	root.AddCommand(newBenchCmd(e))
	root.AddCommand(newRingCmd(e))
	registerCompletions(root)
	return root
}
