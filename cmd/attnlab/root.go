package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/attnlab/attnlab/internal/buildinfo"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/internal/sigctx"
	"github.com/attnlab/attnlab/report"
	"github.com/spf13/cobra"
)

// env is what every command gets: where to write, and the global flags.
type env struct {
	stdout, stderr io.Writer
	args           []string // the command line, for manifests
	ctx            context.Context
	width          int    // terminal columns tables are fitted to
	restoreMem     func() // undoes membudget.ApplyRuntimeLimit at the end of the command
}

// render prints tables fitted to the terminal.
func (e *env) render(tables ...*report.Table) error {
	return report.Print(e.stdout, report.RenderOptions{Width: e.width}, tables...)
}

// run executes the command line and returns the exit status. It is the only
// place that prints an error. The status comes from the error's type:
// cli.ExitCode's (2 for bad input, else 1), or for an interruption by a
// signal 128+signal (130 for SIGINT, 143 for SIGTERM).
func run(args []string, stdout, stderr io.Writer) (code int) {
	ctx, stop := sigctx.Context()
	defer stop()
	e := &env{stdout: stdout, stderr: stderr, args: append([]string{"attnlab"}, args...), ctx: ctx, width: report.TerminalWidth(stdout)}
	root := newRootCmd(e)
	root.SetArgs(args)
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "attnlab: internal error: %v (please report it with the command line)\n", r)
			code = cli.ExitRuntime
		}
	}()
	err := root.ExecuteContext(ctx)
	membudget.SetLimit(0, "") // --memory-limit lasts one command line (tests run many)
	if e.restoreMem != nil {
		e.restoreMem()
	}
	if err == nil {
		return cli.ExitOK
	}
	code = cli.ExitCode(err)
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

// pathFlags are the flags that name an input or output file or folder
// (--out is checked by each command, a folder or a file).
var pathFlags = map[string]string{"model": "file", "config": "file", "tokens-file": "file", "data": "file or folder",
	"reference": "file", "resume": "file", "checkpoint": "file", "answerer": "file", "instructed": "file",
	"regenerator": "file", "save-cache": "file", "compare-dir": "folder", "train-dir": "folder"}

// pathArgs are the commands whose arguments are files.
var pathArgs = map[string]bool{"inspect": true, "merge": true, "verify": true}

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
	cli.TypeFlagErrors(root)
	cli.RefuseUnknownCommands(root)
	var memLimit string
	root.PersistentFlags().StringVar(&memLimit, "memory-limit", "", "refuse runs whose estimated memory exceeds this (8GiB, 512MiB, 75%); default 80% of physical memory, or $ATTNLAB_MEMORY_LIMIT")
	root.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if err := cli.CheckEmptyPaths(c, args, pathFlags, pathArgs); err != nil {
			return err
		}
		if f := c.Flags().Lookup("format"); f != nil && f.Changed && f.Value.String() == "" { // "" is png inside, not on the command line
			return cli.Usagef("--format must be png, svg or pdf, got \"\"")
		}
		// "" is "not given" inside (the model's own BOS, no tracker); given
		// on the command line (an unset shell variable) it is a mistake.
		for name, want := range map[string]string{"bos": "a token id or none", "track": "induction or sinks"} {
			if f := c.Flags().Lookup(name); f != nil && f.Changed && strings.TrimSpace(f.Value.String()) == "" {
				return cli.Usagef("--%s is empty: give %s, or leave the flag out", name, want)
			}
		}
		if memLimit != "" {
			n, err := membudget.ParseSize(memLimit)
			if err != nil {
				return cli.Usagef("--memory-limit: %q is not a size such as 8GiB, 512MiB or 75%%", memLimit)
			}
			membudget.SetLimit(n, "--memory-limit "+memLimit)
		}
		e.restoreMem = membudget.ApplyRuntimeLimit() // the collector keeps garbage under the limit
		return nil
	}
	root.AddCommand(newInductionCmd(e), newTrainCmd(e), newInspectCmd(e), newRunCmd(e))
	root.AddCommand(newSinkCmd(e))
	root.AddCommand(newRetrievalCmd(e), newMergeCmd(e), newVerifyCmd(e))
	root.AddCommand(newBenchCmd(e), newSparseCmd(e))
	root.AddCommand(newRingCmd(e))
	root.AddCommand(newS2ACmd(e))
	registerCompletions(root)
	cli.TypeCompletionCmd(root)
	cli.TypeArgErrors(root)
	return root
}
