// Package cli is the command-line plumbing attnlab's commands share, over
// cobra. Bad input is typed wherever it is found, so that one place maps
// errors to exit statuses: a flag value that does not parse (said in the
// user's words), a wrong argument count, an unknown command or shell, a
// path given as an empty string, and a library's *badinput.Setting renamed
// to the flags that set it. It also completes flag values in the shells.
//
// The package knows no command: the tables it works from (which flags are
// paths, which values a flag takes) are its callers'.
package cli
