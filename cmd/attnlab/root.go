package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/buildinfo"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/internal/sigctx"
	"github.com/attnlab/attnlab/report"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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

// render prints tables fitted to the terminal.
func (e *env) render(tables ...*report.Table) error {
	return report.Print(e.stdout, report.RenderOptions{Width: e.width}, tables...)
}

// run executes the command line and returns the exit status. It is the only
// place that prints an error. The status comes from the error's type:
// usageError, a library's bad input (badinput.Is) and *membudget.Error (a
// size the command line asked for) are 2, an interruption by a signal
// 128+signal (130 for SIGINT, 143 for SIGTERM), anything else 1.
func run(args []string, stdout, stderr io.Writer) (code int) {
	ctx, stop := sigctx.Context()
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
	membudget.SetLimit(0, "") // --memory-limit lasts one command line (tests run many)
	if err == nil {
		return exitOK
	}
	code = exitCode(err)
	if intr, ok := context.Cause(ctx).(*sigctx.Interrupted); ok {
		code = intr.ExitCode()
		if errors.Is(err, context.Canceled) {
			err = intr // the command stopped because of the signal: say so
		}
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
	fmt.Fprintf(stderr, "attnlab: %s\n", msg)
	return code
}

// exitCode maps an error to the exit status by its type.
func exitCode(err error) int {
	var ue usageError
	var me *membudget.Error
	if errors.As(err, &ue) || errors.As(err, &me) || badinput.Is(err) {
		return exitUsage
	}
	return exitRuntime
}

// usageArgs makes a cobra argument validator's error a usage error.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := v(c, args); err != nil {
			return usageError{fmt.Errorf("%v (see '%s --help')", err, c.CommandPath())}
		}
		return nil
	}
}

// typeArgErrors wraps the argument validators of c and its subcommands so
// that a wrong argument count is a usage error by type.
func typeArgErrors(c *cobra.Command) {
	for _, sub := range c.Commands() {
		if sub.Args != nil {
			sub.Args = usageArgs(sub.Args)
		}
		typeArgErrors(sub)
	}
}

// pathFlags are the flags that name an input or output file or folder
// (--out is checked by each command, a folder or a file).
var pathFlags = map[string]string{"model": "file", "config": "file", "tokens-file": "file", "data": "file or folder",
	"reference": "file", "resume": "file", "checkpoint": "file", "answerer": "file", "instructed": "file",
	"regenerator": "file", "save-cache": "file", "compare-dir": "folder", "train-dir": "folder"}

// pathArgs are the commands whose arguments are files.
var pathArgs = map[string]bool{"inspect": true, "merge": true, "verify": true}

// checkEmptyPaths refuses a path flag or argument given as an empty string
// (an unset shell variable, --model "$M"): it would otherwise mean the
// default, or the current folder, without a word.
func checkEmptyPaths(c *cobra.Command, args []string) error {
	for i, a := range args {
		if pathArgs[c.Name()] && strings.TrimSpace(a) == "" {
			return usagef("argument %d: %q is an empty path, not a file name", i+1, a)
		}
	}
	var err error
	c.Flags().Visit(func(f *pflag.Flag) {
		if what, ok := pathFlags[f.Name]; ok && err == nil && strings.TrimSpace(f.Value.String()) == "" {
			err = usagef("--%s: %q is an empty path, not a %s name", f.Name, f.Value.String(), what)
		}
		if f.Name == "format" && err == nil && f.Value.String() == "" { // "" is png inside, not on the command line
			err = usagef("--format must be png, svg or pdf, got \"\"")
		}
	})
	return err
}

// flagValueMessage says what a flag that did not parse wants, in the
// user's words: "--batch must be an integer, got \"1e8\"" rather than
// pflag's "invalid argument ... strconv.ParseInt: ...". Other flag errors
// (unknown flag, missing value) keep pflag's message.
func flagValueMessage(err error) string {
	var iv *pflag.InvalidValueError
	if !errors.As(err, &iv) {
		return err.Error()
	}
	name, v := "--"+iv.GetFlag().Name, iv.GetValue()
	want := map[string]string{"int": "an integer", "int64": "an integer", "int32": "an integer",
		"uint": "a whole number ≥ 0", "uint64": "a whole number ≥ 0", "uint32": "a whole number ≥ 0",
		"float64": "a number", "float32": "a number", "bool": "true or false",
		"duration": "a duration such as 30s, 5m or 1h30m"}[iv.GetFlag().Value.Type()]
	switch {
	case want == "":
		return fmt.Sprintf("%s: %q is not a valid value", name, v)
	case errors.Is(err, strconv.ErrRange):
		return fmt.Sprintf("%s %s is out of range (it must be %s)", name, v, want)
	}
	return fmt.Sprintf("%s must be %s, got %q", name, want, v)
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
		Version:       buildinfo.Version(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%s (see '%s --help')", flagValueMessage(err), c.CommandPath())
	})
	// An unknown command is a usage error by type: the root takes the
	// arguments itself instead of leaving them to cobra's untyped check.
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		hint := ""
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2 // cobra's default, which it sets only on its own path
		}
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			hint = "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usagef("unknown command %q for \"attnlab\"%s (see 'attnlab --help')", args[0], hint)
	}
	root.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	var memLimit string
	root.PersistentFlags().StringVar(&memLimit, "memory-limit", "", "refuse runs whose estimated memory exceeds this (8GiB, 512MiB, 75%); default 80% of physical memory, or $ATTNLAB_MEMORY_LIMIT")
	root.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if err := checkEmptyPaths(c, args); err != nil {
			return err
		}
		if memLimit == "" {
			return nil
		}
		n, err := membudget.ParseSize(memLimit)
		if err != nil {
			return usagef("--memory-limit: %q is not a size such as 8GiB, 512MiB or 75%%", memLimit)
		}
		membudget.SetLimit(n, "--memory-limit "+memLimit)
		return nil
	}
	root.AddCommand(newInductionCmd(e), newTrainCmd(e), newInspectCmd(e), newRunCmd(e))
	root.AddCommand(newSinkCmd(e))
	root.AddCommand(newRetrievalCmd(e), newMergeCmd(e), newVerifyCmd(e))
	root.AddCommand(newBenchCmd(e), newSparseCmd(e))
	root.AddCommand(newRingCmd(e))
	root.AddCommand(newS2ACmd(e))
	registerCompletions(root)
	// The completion command (cobra's) exists before the argument checks
	// are typed, and names an unknown shell instead of printing its help.
	root.InitDefaultCompletionCmd()
	if comp, _, err := root.Find([]string{"completion"}); err == nil && comp.Name() == "completion" {
		comp.Args = func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("completion: unknown shell %q: give bash, zsh, fish or powershell", args[0])
			}
			return nil
		}
		comp.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
	typeArgErrors(root)
	return root
}
