package userfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// CheckTarget reports whether path may be written by [WriteAtomic]: it must
// name a file (not end in a separator, not be empty), and be absent or a
// regular file, after following symlinks. It returns the path that will be
// replaced (the symlink's target for a symlink). A missing parent folder is
// not an error (WriteAtomic creates it), but a parent that is a file is.
func CheckTarget(path string) (string, error) {
	if path == "" {
		return "", &Error{Path: `""`, Msg: "is an empty path, not a file name"}
	}
	if strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator)) {
		return "", &Error{Path: path, Msg: "ends in a path separator, not a file name"}
	}
	target := path
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			// A dangling link: write where it points.
			dest, rerr := os.Readlink(path)
			if rerr != nil {
				return "", err
			}
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(path), dest)
			}
			target = dest
		}
	}
	st, err := os.Stat(target)
	switch {
	case err == nil:
		if !st.Mode().IsRegular() {
			return "", &Error{Path: path, Msg: "is " + kind(st.Mode()) + "; only a regular file is ever replaced"}
		}
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		// The closest existing ancestor must be a folder.
		for dir := filepath.Dir(target); ; dir = filepath.Dir(dir) {
			dst, derr := os.Stat(dir)
			if derr == nil {
				if !dst.IsDir() {
					return "", &Error{Path: path, Msg: "cannot be created: " + dir + " is " + kindOrFile(dst.Mode()) + ", not a folder"}
				}
				break
			}
			if dir == filepath.Dir(dir) {
				break // let the write report it
			}
		}
	default:
		return "", err
	}
	return target, nil
}

// WriteAtomic writes a file through write so that path holds either its old
// content or the complete new content, never a part. See the package
// documentation for the rules on the target and on stale temporary files.
// If write returns an error or panics, the temporary file is removed and
// path is left untouched (the panic is re-raised). Missing parent folders
// are created (0755); the file is 0644.
func WriteAtomic(path string, write func(w io.Writer) error) error {
	target, err := CheckTarget(path)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return cannotWrite(path, "creating its folder", err)
	}
	removeStale(dir, base)
	f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return cannotWrite(path, "creating a file in "+filepath.Clean(dir), err)
	}
	tmp := f.Name()
	lock(f) // marks the temporary file as live until it is closed
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	// Re-check just before the rename: the target may have been replaced
	// by something that is not a regular file while we wrote.
	if _, err := CheckTarget(target); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	done = true
	f.Close() // releases the lock; the data is synced
	return syncDir(dir)
}

// cannotWrite says that path cannot be written because a step failed, by
// the step and its cause (permission denied, no space left on device), not
// by the temporary file's name, which means nothing to the user.
func cannotWrite(path, step string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &Error{Path: path, Msg: "cannot be written: " + step + ": " + err.Error()}
}

// tempPrefix is the start of the temporary file names for base.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// removeStale deletes temporary files of base that no writer holds: regular
// files named tempPrefix(base) followed by the digits os.CreateTemp puts
// there. Errors are ignored: cleaning is best effort.
func removeStale(dir, base string) {
	prefix := tempPrefix(base)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, name)
		if stale(p) {
			os.Remove(p)
		}
	}
}

// syncDir makes a rename in dir durable. Filesystems that cannot sync a
// folder (EINVAL, ENOTSUP) are not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("syncing folder %s: %w", dir, err)
	}
	return nil
}

// kindOrFile names a file mode, "a file" for a regular file.
func kindOrFile(m fs.FileMode) string {
	if m.IsRegular() {
		return "a file"
	}
	return kind(m)
}
