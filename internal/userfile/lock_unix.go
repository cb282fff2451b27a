//go:build unix

package userfile

import (
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock on a temporary file being written;
// the kernel drops it when the file is closed or the process dies.
func lock(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }

// stale reports whether no process holds the lock on the temporary file p.
func stale(p string) bool {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return false
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
