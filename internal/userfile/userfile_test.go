package userfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOpenRefusesSpecialFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "zero-link")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, want string
	}{
		{"/dev/zero", "/dev/zero is a device, not a regular file"},
		{fifo, fifo + " is a named pipe (FIFO), not a regular file"},
		{link, link + " is a device, not a regular file"},
		{dir, dir + " is a folder, not a regular file"},
		{big, big + " is 100 B, larger than the 99 B limit for this kind of file"},
		{"", `"" is an empty path, not a file name`},
	}
	for _, c := range cases {
		start := time.Now()
		_, err := ReadFile(c.path, 99)
		var ue *Error
		if !errors.As(err, &ue) || err.Error() != c.want {
			t.Errorf("ReadFile(%q) = %v, want *Error %q", c.path, err, c.want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("ReadFile(%q) took %v", c.path, d)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 99); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
	b, err := ReadFile(big, 100)
	if err != nil || len(b) != 100 {
		t.Errorf("ReadFile at the limit: %d bytes, %v", len(b), err)
	}
}

func TestReadFileBoundsAGrowingFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "grows")
	if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, size, err := Open(p, 10)
	if err != nil || size != 5 {
		t.Fatal(size, err)
	}
	f.Close()
	// Grow it past the limit after a successful stat-based check would
	// have passed: ReadFile re-checks while reading.
	if err := os.WriteFile(p, make([]byte, 11), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p, 10); err == nil {
		t.Error("read 11 bytes with a limit of 10")
	}
}

func TestWriteAtomicRefusesNonRegularTargets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	devLink := filepath.Join(dir, "null-link")
	if err := os.Symlink("/dev/null", devLink); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	cases := []struct{ path, want string }{
		{"/dev/null", "/dev/null is a device; only a regular file is ever replaced"},
		{devLink, devLink + " is a device; only a regular file is ever replaced"},
		{fifo, fifo + " is a named pipe (FIFO); only a regular file is ever replaced"},
		{sub, sub + " is a folder; only a regular file is ever replaced"},
		{sub + "/", sub + "/ ends in a path separator, not a file name"},
		{"", `"" is an empty path, not a file name`},
		{filepath.Join(file, "x.csv"), filepath.Join(file, "x.csv") + " cannot be created: " + file + " is a file, not a folder"},
	}
	if os.Geteuid() == 0 {
		// As root, a device node in the output folder (mknod d c 1 7, the
		// issue's reproduction) must survive.
		dev := filepath.Join(dir, "dev")
		if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|7); err == nil {
			cases = append(cases, struct{ path, want string }{dev, dev + " is a device; only a regular file is ever replaced"})
			defer func() {
				if st, err := os.Lstat(dev); err != nil || st.Mode()&os.ModeDevice == 0 {
					t.Errorf("the device node was replaced: %v %v", st.Mode(), err)
				}
				os.Remove(dev)
			}()
		}
	}
	called := false
	for _, c := range cases {
		err := WriteAtomic(c.path, func(w io.Writer) error { called = true; return nil })
		var ue *Error
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("WriteAtomic(%q) = %v, want *Error %q", c.path, err, c.want)
		}
	}
	if called {
		t.Error("write was called for a refused target")
	}
	if st, err := os.Lstat("/dev/null"); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", st.Mode(), err)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the FIFO was replaced")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestWriteAtomicFollowsSymlinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	real := filepath.Join(other, "real.csv")
	os.WriteFile(real, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.csv")
	os.Symlink(real, link)
	if err := WriteAtomic(link, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a file")
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("target holds %q, want new", b)
	}
	// A dangling link is followed too: the file it names is created.
	dangling := filepath.Join(dir, "dangling.csv")
	os.Symlink(filepath.Join(other, "created.csv"), dangling)
	if err := WriteAtomic(dangling, func(w io.Writer) error { _, err := io.WriteString(w, "c"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "created.csv")); string(b) != "c" {
		t.Errorf("dangling link target holds %q", b)
	}
}

func TestWriteAtomicFailureLeavesTarget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	os.WriteFile(p, []byte("old"), 0o644)
	boom := errors.New("boom")
	if err := WriteAtomic(p, func(w io.Writer) error { io.WriteString(w, "partial"); return boom }); !errors.Is(err, boom) {
		t.Errorf("got %v, want boom", err)
	}
	func() {
		defer func() { recover() }()
		WriteAtomic(p, func(w io.Writer) error { panic("x") })
	}()
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("target holds %q after failed writes", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the folder, want 1", len(ents))
	}
}

func TestWriteAtomicRemovesStaleTemporaries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "m.safetensors")
	stale := filepath.Join(dir, ".m.safetensors.tmp-123456")
	live := filepath.Join(dir, ".m.safetensors.tmp-777")
	foreign := []string{
		filepath.Join(dir, ".m.safetensors.tmp-abc"),    // not our pattern
		filepath.Join(dir, ".other.csv.tmp-1"),          // another target's
		filepath.Join(dir, ".m.safetensors.tmp-"),       // no suffix
		filepath.Join(dir, "x.m.safetensors.tmp-12345"), // not a temporary name
	}
	for _, f := range append([]string{stale, live}, foreign...) {
		os.WriteFile(f, []byte("partial"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, ".m.safetensors.tmp-99"), 0o755) // a folder: never removed
	// A writer still running holds the lock on its temporary file.
	lf, err := os.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, "ok"); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Error("the stale temporary file was not removed")
	}
	for _, f := range append([]string{live, filepath.Join(dir, ".m.safetensors.tmp-99")}, foreign...) {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(f), err)
		}
	}
}

// TestWriteAtomicNamesTheTarget: a folder that cannot be created or written
// (here in /proc, which refuses both even to root) is reported by the file
// asked for and the cause, never by the temporary file's name.
func TestWriteAtomicNamesTheTarget(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("no /proc")
	}
	for _, c := range []struct{ path, want string }{
		{"/proc/attnlab-no-such/x.csv", "/proc/attnlab-no-such/x.csv cannot be written: creating its folder: "},
		{"/proc/attnlab-x.csv", "/proc/attnlab-x.csv cannot be written: creating a file in /proc: "},
	} {
		err := WriteAtomic(c.path, func(w io.Writer) error { return nil })
		var ue *Error
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), ".tmp-") {
			t.Errorf("WriteAtomic(%s) = %v, want %q and a cause", c.path, err, c.want)
		}
	}
}

// TestCheckWritable: an output path that cannot be written (under a file,
// on a file system where nothing can be created, in a read-only folder) is
// refused before any work, and the check leaves nothing behind; a path
// whose folders do not exist yet passes without creating them.
func TestCheckWritable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	cases := []struct{ path, want string }{
		{filepath.Join(file, "sub", "m.csv"), filepath.Join(file, "sub", "m.csv") + " cannot be created: " + file + " is a file, not a folder"},
		{"/dev/full", "/dev/full is a device; only a regular file is ever replaced"},
		{filepath.Join(dir, "new", "deeper", "m.csv"), ""},
		{file, ""},
	}
	if _, err := os.Stat("/proc/self"); err == nil { // Linux: nothing can be created in /proc
		cases = append(cases, struct{ path, want string }{"/proc/attnlab/m.csv", "/proc/attnlab/m.csv cannot be written: creating a file in /proc: no such file or directory"})
	}
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o555)
	if os.Geteuid() != 0 { // root writes into a read-only folder
		cases = append(cases, struct{ path, want string }{filepath.Join(ro, "m.csv"), filepath.Join(ro, "m.csv") + " cannot be written: creating a file in " + ro + ": permission denied"})
	}
	for _, c := range cases {
		_, err := CheckWritable(c.path)
		var ue *Error
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckWritable(%q) = %v, want nil", c.path, err)
		case c.want != "" && (!errors.As(err, &ue) || err.Error() != c.want):
			t.Errorf("CheckWritable(%q) = %v, want *Error %q", c.path, err, c.want)
		}
	}
	folders := []struct{ dir, want string }{
		{file, file + " exists and is not a folder"},
		{"/dev/null", "/dev/null exists and is not a folder"},
		{filepath.Join(file, "out"), filepath.Join(file, "out") + " cannot be created: " + file + " is a file, not a folder"},
		{"", `"" is an empty path, not a folder name`},
		{filepath.Join(dir, "new", "out"), ""},
		{dir, ""},
	}
	for _, c := range folders {
		err := CheckFolder(c.dir)
		if got := fmt.Sprint(err); (c.want == "" && err != nil) || (c.want != "" && got != c.want) {
			t.Errorf("CheckFolder(%q) = %v, want %q", c.dir, err, c.want)
		}
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"file", "ro"}) {
		t.Errorf("the checks left %v in the folder, want only file and ro", names)
	}
}
