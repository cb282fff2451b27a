package tasks

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func toBytes(x []int32) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(v)
	}
	return b
}

// textTree writes 20 text files named fNN.txt (in sub/ for odd NN) plus
// files the loader must skip, and returns the root and the expected
// train and val text.
func textTree(t *testing.T) (root string, train, val []byte) {
	root = t.TempDir()
	// Pick names so that 17 files land in train and 3 in val.
	var paths []string
	nval, ntrain := 0, 0
	for i := 0; nval < 3 || ntrain < 17; i++ {
		rel := fmt.Sprintf("f%02d.txt", i)
		if i%2 == 1 {
			rel = "sub/" + rel
		}
		if fileSplit(rel) == Val && nval < 3 {
			nval++
		} else if fileSplit(rel) == Train && ntrain < 17 {
			ntrain++
		} else {
			continue
		}
		paths = append(paths, rel)
	}
	slices.SortFunc(paths, func(a, b string) int {
		return strings.Compare(filepath.Join(root, filepath.FromSlash(a)), filepath.Join(root, filepath.FromSlash(b)))
	})
	for _, rel := range paths {
		text := []byte(strings.Repeat("héllo "+rel+"\n", 10))
		writeFile(t, filepath.Join(root, filepath.FromSlash(rel)), text)
		if fileSplit(rel) == Val {
			val = append(val, text...)
		} else {
			train = append(train, text...)
		}
	}
	writeFile(t, filepath.Join(root, "bin.dat"), []byte("abc\x00def"))
	writeFile(t, filepath.Join(root, "latin1.txt"), []byte("caf\xe9"))
	writeFile(t, filepath.Join(root, "empty.txt"), nil)
	writeFile(t, filepath.Join(root, ".git", "config.txt"), []byte("hidden"))
	return root, train, val
}

func TestLoadTextTree(t *testing.T) {
	t.Parallel()
	root, train, val := textTree(t)
	if len(val) == 0 || len(train) == 0 {
		t.Fatal("test tree should put files in both splits")
	}
	c, err := LoadText(root)
	if err != nil {
		t.Fatal(err)
	}
	if c.SplitBy != "file" || len(c.Files) != 20 {
		t.Fatalf("SplitBy %q, %d files, want file and 20", c.SplitBy, len(c.Files))
	}
	for _, f := range c.Files {
		if strings.Contains(f.Rel, "bin") || strings.Contains(f.Rel, "latin1") || strings.Contains(f.Rel, ".git") || f.Bytes == 0 {
			t.Errorf("loaded a file that should be skipped: %+v", f)
		}
	}
	if got := toBytes(c.Stream(Train, 1<<20)); !bytes.Equal(got, train) {
		t.Errorf("train split is\n%q\nwant\n%q", got, train)
	}
	if got := toBytes(c.Stream(Val, 1<<20)); !bytes.Equal(got, val) {
		t.Errorf("val split is\n%q\nwant\n%q", got, val)
	}
	if got := toBytes(c.Stream(Val, 5)); !bytes.Equal(got, val[:5]) {
		t.Errorf("Stream(Val, 5) = %q", got)
	}
	if c.Vocab() != 256 || c.Name() != "text" || c.Spec()["sha256"] == "" {
		t.Error("bad Vocab, Name or Spec")
	}

	// Windows: contiguous, from the right split, deterministic.
	const B, T = 6, 17
	if err := CheckShape(c, B, T); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		split  []byte
		sample func() Batch
	}{
		{train, func() Batch { return c.Sample(newRand(1), B, T) }},
		{val, func() Batch { return c.ValSample(newRand(1), B, T) }},
	} {
		b := tc.sample()
		if !equalBatch(b, tc.sample()) {
			t.Error("same seed gave different windows")
		}
		for row := range B {
			tok, tgt, mask := b.Row(row)
			win := append(toBytes(tok), byte(tgt[T-1]))
			if !bytes.Contains(tc.split, win) || !slices.Equal(tok[1:], tgt[:T-1]) || slices.Contains(mask, 0) {
				t.Fatalf("row %d: window %q is not a masked slice of its split", row, win)
			}
		}
	}
	if slices.Equal(c.Sample(newRand(1), B, T).Tokens, c.Sample(newRand(2), B, T).Tokens) {
		t.Error("different seeds gave the same windows")
	}
	if err := CheckShape(c, 1, len(val)); err == nil {
		t.Error("CheckShape accepted T longer than the val split")
	}
}

func TestLoadTextOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.md"), []byte("ééééé")) // 10 bytes
	writeFile(t, filepath.Join(dir, "b.txt"), []byte("bbbb"))
	writeFile(t, filepath.Join(dir, "testdata", "c.md"), []byte("cccc"))

	// The cap cuts a.md at a character boundary: 7 bytes → 3 characters.
	c, err := LoadTextOptions(TextOptions{MaxBytes: 7}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 1 || c.Files[0].Bytes != 6 {
		t.Errorf("capped load: %+v, want a.md with 6 bytes", c.Files)
	}
	// Extension filter and skipped folders.
	c, err = LoadTextOptions(TextOptions{Exts: []string{".md"}, SkipDirs: []string{"testdata"}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 1 || c.Files[0].Rel != "a.md" {
		t.Errorf("filtered load: %+v, want a.md only", c.Files)
	}
	// A single file falls back to a split by position: the last tenth.
	one := filepath.Join(dir, "one.txt")
	text := strings.Repeat("0123456789", 10)
	writeFile(t, one, []byte(text))
	c, err = LoadText(one)
	if err != nil {
		t.Fatal(err)
	}
	if c.SplitBy != "position" || string(toBytes(c.Stream(Train, 1000))) != text[:90] || string(toBytes(c.Stream(Val, 1000))) != text[90:] {
		t.Errorf("single file: SplitBy %q, train %d bytes, val %d bytes", c.SplitBy, c.Len(Train), c.Len(Val))
	}
}

func TestLoadTextErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "x.bin"), []byte{0, 1, 2})
	missing := filepath.Join(dir, "nope")
	// A named pipe as --data blocked forever in open (issue 9, item 1).
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		paths []string
		want  string
	}{
		{[]string{dir}, "tasks: no readable UTF-8 text under " + dir},
		{[]string{missing}, "tasks: text path " + missing + " does not exist"},
		{nil, "tasks: no text path given"},
		{[]string{fifo}, "tasks: text path " + fifo + " is not a regular file or a folder"},
		{[]string{"/dev/zero"}, "tasks: text path /dev/zero is not a regular file or a folder"},
	} {
		_, err := LoadText(tc.paths...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("LoadText(%v) error %v, want %q", tc.paths, err, tc.want)
		}
	}
}

func TestDefaultCorpus(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(filepath.Join(runtime.GOROOT(), "src", "fmt")); err != nil {
		t.Skip("Go standard library sources not present")
	}
	c, err := DefaultCorpus()
	if err != nil {
		t.Fatal(err)
	}
	total := c.Len(Train) + c.Len(Val)
	if c.SplitBy != "file" || c.Len(Val) == 0 || total > DefaultMaxBytes || total < DefaultMaxBytes/2 {
		t.Errorf("split %q, train %d, val %d bytes", c.SplitBy, c.Len(Train), c.Len(Val))
	}
	for _, f := range c.Files {
		if !strings.HasSuffix(f.Rel, ".go") || strings.Contains(f.Rel, "testdata/") {
			t.Fatalf("unexpected file %s", f.Rel)
		}
	}
	if !slices.IsSortedFunc(c.Files, func(a, b TextFile) int { return strings.Compare(a.Path, b.Path) }) {
		t.Error("files not in sorted order")
	}
	if c.Spec()["go_version"] != runtime.Version() {
		t.Error("Spec lacks the Go version")
	}
	if !strings.Contains(string(toBytes(c.Stream(Train, 4096))), "package ") {
		t.Error("train stream does not look like Go source")
	}
}
