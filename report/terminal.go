package report

import (
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// TerminalWidth returns the width tables written to w are fitted to: the
// COLUMNS environment variable when it holds a number (at least 40), else
// the width of the terminal w is, else DefaultWidth.
func TerminalWidth(w io.Writer) int {
	if c, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && c > 0 {
		return max(c, 40)
	}
	if f, ok := w.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		if c, _, err := term.GetSize(int(f.Fd())); err == nil && c > 0 {
			return max(c, 40)
		}
	}
	return DefaultWidth
}
