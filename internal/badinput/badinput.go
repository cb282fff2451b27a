// Package badinput marks the errors caused by what a caller asked for (a
// value out of range, a model that cannot do what was asked of it), as
// opposed to failures while running. attnlab exits with status 2 for them,
// 1 for any other error.
//
// Library code wraps such an error once, where it detects it; the message
// names the value, never a command-line flag.
package badinput

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Error is bad input: Err says what was wrong.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf formats an *Error (%w wraps as in fmt.Errorf).
func Errorf(format string, args ...any) error { return &Error{fmt.Errorf(format, args...)} }

// Wrap makes err an *Error; nil stays nil.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	return &Error{err}
}

// Is reports whether err, or an error it wraps, is an *Error or a
// *Setting.
func Is(err error) bool {
	var e *Error
	var s *Setting
	return errors.As(err, &e) || errors.As(err, &s)
}

// Setting is bad input in named settings. Its format names each setting
// as {name} (snake case, "{min_lr} must be between 0 and {lr} (%v)"):
// Error writes the names as they are, Rename as a caller calls them (a
// command, by its flags), so a library's message never names a flag.
type Setting struct {
	format string
	args   []any
}

var settingName = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)

// Settingf returns a *Setting error; format is fmt.Sprintf's with
// settings named {name}.
func Settingf(format string, args ...any) error { return &Setting{format, args} }

func (e *Setting) Error() string { return e.Rename(func(n string) string { return n }) }

// Rename formats the message with every {name} written as name(name).
func (e *Setting) Rename(name func(string) string) string {
	f := settingName.ReplaceAllStringFunc(e.format, func(m string) string {
		return strings.ReplaceAll(name(m[1:len(m)-1]), "%", "%%")
	})
	return fmt.Sprintf(f, e.args...)
}
