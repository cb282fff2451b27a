//go:build !unix

package userfile

import (
	"os"
	"time"
)

func lock(*os.File) {}

// stale: without advisory locks, a temporary file untouched for an hour is
// taken to be abandoned.
func stale(p string) bool {
	st, err := os.Lstat(p)
	return err == nil && st.Mode().IsRegular() && time.Since(st.ModTime()) > time.Hour
}
