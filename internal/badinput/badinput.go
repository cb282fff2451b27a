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

// Is reports whether err, or an error it wraps, is an *Error.
func Is(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
