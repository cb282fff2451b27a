package userfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/attnlab/attnlab/internal/membudget"
)

// Error reports a path that is refused: not a regular file, or too large.
type Error struct {
	Path string
	Msg  string // what is wrong, e.g. "is a device, not a regular file"
}

func (e *Error) Error() string { return e.Path + " " + e.Msg }

// Limits for files the commands read whole. They are generous for what
// each file holds and small against memory.
const (
	ConfigLimit = 1 << 20   // a TransformerLens config.json: 1 MiB
	TokensLimit = 16 << 20  // a file of token ids: 16 MiB
	TableLimit  = 256 << 20 // a CSV table read back (merge): 256 MiB
)

// kind names a non-regular file mode, or "" for a regular file.
func kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0 || m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a plain file"
}

func notRegular(path string, m fs.FileMode) error {
	return &Error{Path: path, Msg: "is " + kind(m) + ", not a regular file"}
}

func tooLarge(path string, size, limit int64) error {
	return &Error{Path: path, Msg: fmt.Sprintf("is %s, larger than the %s limit for this kind of file", membudget.FormatBytes(size), membudget.FormatBytes(limit))}
}

// Open opens path for reading if it is a regular file (symlinks followed)
// of at most limit bytes (limit <= 0: no size limit), and returns it with
// its size. Reads past size are the caller's to bound; [ReadFile] does.
func Open(path string, limit int64) (*os.File, int64, error) {
	if path == "" {
		return nil, 0, &Error{Path: `""`, Msg: "is an empty path, not a file name"}
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, notRegular(path, st.Mode())
	}
	// Non-blocking, so a pipe swapped in after the Stat cannot block the
	// open; the fstat below refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, err
	}
	st, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, notRegular(path, st.Mode())
	}
	if limit > 0 && st.Size() > limit {
		f.Close()
		return nil, 0, tooLarge(path, st.Size(), limit)
	}
	return f, st.Size(), nil
}

// ReadFile reads the whole of path, a regular file of at most limit bytes.
// It reads at most limit bytes even if the file grows while it is read.
func ReadFile(path string, limit int64) ([]byte, error) {
	if limit <= 0 {
		return nil, errors.New("userfile: ReadFile needs a positive limit")
	}
	f, size, err := Open(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 0, size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow: the file grew since the stat
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, tooLarge(path, int64(len(buf)), limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
