package report

import (
	"fmt"
	"io"
	"os"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/userfile"
)

// WriteFileAtomic writes a file through write so that path holds either its
// old content or the complete new content, never a part: write fills a
// temporary file ".NAME.tmp-*" in the same folder, which is synced and
// renamed over path, and the folder is synced. If write returns an error or
// panics, the temporary file is removed and path is left untouched (the
// panic is re-raised). Missing parent folders are created (0755); the file
// is 0644.
//
// Only a regular file is ever replaced: a path naming a folder, a device, a
// named pipe or a socket is refused before write is called. A symlink is
// followed (the file it points to is replaced; the link stays). Temporary
// files of path left by a killed writer are removed. See
// internal/userfile for the details; [CheckTarget] applies the same rule
// without writing.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	if err := userfile.WriteAtomic(path, write); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// CheckTarget returns an error if [WriteFileAtomic] would refuse path or
// could not write it (a read-only file system, no permission, a file where
// a folder is needed), so that a command can reject an output path before
// doing any work.
func CheckTarget(path string) error {
	if _, err := userfile.CheckWritable(path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// CheckDir returns an error if dir cannot be an output folder: an empty
// path, one naming something other than a folder, or one where no file can
// be created (a read-only file system, no permission, a file where a
// folder is needed; probed by creating and removing an empty file in it or
// in its closest existing ancestor). Every command that writes into a
// folder checks it before doing any work. Its error is a
// *badinput.Setting naming out.
func CheckDir(dir string) error {
	if dir == "" {
		return badinput.Settingf("{out} must name a folder, got an empty string")
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return badinput.Settingf("{out} %s exists and is not a folder", dir)
	}
	if err := userfile.CheckFolder(dir); err != nil {
		return badinput.Settingf("{out} %s", err)
	}
	return nil
}

// CheckFormat returns an error unless format is a figure format Publish
// writes: png (or ""), svg or pdf. Its error is a *badinput.Setting naming
// format.
func CheckFormat(format string) error {
	switch format {
	case "", "png", "svg", "pdf":
		return nil
	}
	return badinput.Settingf("{format} must be png, svg or pdf, got %q", format)
}
