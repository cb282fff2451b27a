package userfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// CheckWritable reports whether [WriteAtomic] can write path now:
// [CheckTarget]'s rules, and a file can be created in the folder that will
// hold it (or, where that folder does not exist yet, in its closest
// existing ancestor, where WriteAtomic creates it). It is the check a
// command runs before any work, so that a read-only file system, a missing
// permission or a path under a file is found before a long run, not after
// it. It returns the path that will be replaced, as CheckTarget does.
func CheckWritable(path string) (string, error) {
	target, err := CheckTarget(path)
	if err != nil {
		return "", err
	}
	if err := probe(path, filepath.Dir(target)); err != nil {
		return "", err
	}
	return target, nil
}

// CheckFolder reports whether dir can hold the files a run writes into it
// with [WriteAtomic]: it must be a folder or absent, and a file can be
// created in it (or, where it does not exist yet, in its closest existing
// ancestor, which must be a folder).
func CheckFolder(dir string) error {
	if dir == "" {
		return &Error{Path: `""`, Msg: "is an empty path, not a folder name"}
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return &Error{Path: dir, Msg: "exists and is not a folder"}
	}
	return probe(dir, dir)
}

// probe creates and removes an empty file in dir, or, where dir does not
// exist, in its closest existing ancestor; path is what the error names.
func probe(path, dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		switch {
		case err == nil && !st.IsDir():
			return &Error{Path: path, Msg: "cannot be created: " + d + " is " + kindOrFile(st.Mode()) + ", not a folder"}
		case err == nil:
			f, err := os.CreateTemp(d, ".attnlab-probe-*")
			if err != nil {
				return cannotWrite(path, "creating a file in "+filepath.Clean(d), err)
			}
			f.Close()
			os.Remove(f.Name())
			return nil
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return cannotWrite(path, "looking up "+d, err)
		case d == filepath.Dir(d):
			return nil // nothing exists above: let the write report it
		}
	}
}
