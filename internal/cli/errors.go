package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitRuntime = 1 // a failure while running
	ExitUsage   = 2 // bad input on the command line
)

// UsageError marks bad input on the command line: exit status 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usage makes err a UsageError; nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return UsageError{err}
}

// Usagef formats a UsageError.
func Usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// ExitCode maps an error to the exit status by its type: a UsageError, a
// library's bad input (badinput.Is) and a *membudget.Error (a size the
// command line asked for) are ExitUsage, anything else ExitRuntime.
func ExitCode(err error) int {
	var ue UsageError
	var me *membudget.Error
	if errors.As(err, &ue) || errors.As(err, &me) || badinput.Is(err) {
		return ExitUsage
	}
	return ExitRuntime
}

// FlagError makes a library's *badinput.Setting a usage error naming the
// flags: setting s is the flag renamed[s], else --s with - for _. Other
// errors are returned as they are.
func FlagError(err error, renamed map[string]string) error {
	var s *badinput.Setting
	if !errors.As(err, &s) {
		return err
	}
	return UsageError{errors.New(s.Rename(func(n string) string {
		if f, ok := renamed[n]; ok {
			return f
		}
		return "--" + strings.ReplaceAll(n, "_", "-")
	}))}
}

// TypeFlagErrors makes every flag error under root a usage error that says
// what the flag wants and points to the command's help.
func TypeFlagErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return Usagef("%s (see '%s --help')", flagValueMessage(err), c.CommandPath())
	})
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

// TypeArgErrors wraps the argument validators of c and its subcommands so
// that a wrong argument count is a usage error by type.
func TypeArgErrors(c *cobra.Command) {
	for _, sub := range c.Commands() {
		if v := sub.Args; v != nil {
			sub.Args = func(c *cobra.Command, args []string) error {
				if err := v(c, args); err != nil {
					return UsageError{fmt.Errorf("%v (see '%s --help')", err, c.CommandPath())}
				}
				return nil
			}
		}
		TypeArgErrors(sub)
	}
}

// RefuseUnknownCommands makes an unknown command a usage error by type,
// with cobra's suggestions: root takes the arguments itself instead of
// leaving them to cobra's untyped check, and prints its help when it has
// none.
func RefuseUnknownCommands(root *cobra.Command) {
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
		return Usagef("unknown command %q for %q%s (see '%s --help')", args[0], c.Name(), hint, c.Name())
	}
	root.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
}

// CheckEmptyPaths refuses a path flag or argument given as an empty string
// (an unset shell variable, --model "$M"): it would otherwise mean the
// default, or the current folder, without a word. pathFlags says what each
// path flag names ("file", "folder"); pathArgs are the commands whose
// arguments are files.
func CheckEmptyPaths(c *cobra.Command, args []string, pathFlags map[string]string, pathArgs map[string]bool) error {
	for i, a := range args {
		if pathArgs[c.Name()] && strings.TrimSpace(a) == "" {
			return Usagef("argument %d: %q is an empty path, not a file name", i+1, a)
		}
	}
	var err error
	c.Flags().Visit(func(f *pflag.Flag) {
		if what, ok := pathFlags[f.Name]; ok && err == nil && strings.TrimSpace(f.Value.String()) == "" {
			err = Usagef("--%s: %q is an empty path, not a %s name", f.Name, f.Value.String(), what)
		}
	})
	return err
}
