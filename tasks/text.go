package tasks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/attnlab/attnlab/internal/userfile"
)

// DefaultMaxBytes caps the text a corpus loads: 8 MiB.
const DefaultMaxBytes = 8 << 20

// Split names a part of a text corpus.
type Split int

const (
	Train Split = iota // the training split
	Val                // the held-out validation split
)

func (s Split) String() string {
	if s == Val {
		return "val"
	}
	return "train"
}

// TextOptions configures LoadTextOptions. The zero value is LoadText's.
type TextOptions struct {
	MaxBytes int64    // cap on the total bytes loaded; ≤ 0 means DefaultMaxBytes
	Exts     []string // keep only files with these extensions (".go"); empty keeps every file
	SkipDirs []string // directory names never entered ("testdata"); hidden directories are always skipped
}

// TextFile records one file of a corpus.
type TextFile struct {
	Path  string // as found on disk
	Rel   string // slash-separated path relative to its root argument (the base name for a file argument)
	Bytes int    // bytes loaded (less than the file's size if the cap cut it)
	Split Split  // Train for every file when the corpus is split by position
}

// TextCorpus is a byte-level text task: vocab 256, token = byte. It
// implements Task by sampling the training split.
type TextCorpus struct {
	Files   []TextFile
	SplitBy string // "file" (the hash rule) or "position" (the fallback); see LoadTextOptions
	roots   []string
	opts    TextOptions
	train   []byte
	val     []byte
	sum     string // hex sha256 of train then val
	goSrc   bool   // loaded by DefaultCorpus
}

// LoadText loads every UTF-8 text file under paths with the default options;
// see LoadTextOptions.
func LoadText(paths ...string) (*TextCorpus, error) {
	return LoadTextOptions(TextOptions{}, paths...)
}

// LoadTextOptions loads text from paths, files or folders. Folders are
// walked recursively, skipping hidden directories and opts.SkipDirs; within
// each path argument files are taken in sorted path order, the arguments in
// the order given. Empty, unreadable and binary files (a NUL byte, or not
// valid UTF-8) are skipped. Loading stops at opts.MaxBytes; the file that
// reaches the cap is cut there, at a UTF-8 character boundary.
//
// Split, by file: a file goes to the validation split when the 32-bit
// FNV-1a hash of its Rel path, mod 10, is 0, so about a tenth of the files
// are held out and a file's split does not depend on which other files are
// loaded. When that leaves either split empty (a single file, say), the
// corpus is split by position instead: the last tenth of the concatenated
// bytes is validation. Files within a split are concatenated in load order.
func LoadTextOptions(opts TextOptions, paths ...string) (*TextCorpus, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if len(paths) == 0 {
		return nil, errors.New("tasks: no text path given")
	}
	c := &TextCorpus{roots: slices.Clone(paths), opts: opts, SplitBy: "file"}
	var all bytes.Buffer
	left := opts.MaxBytes
	for _, root := range paths {
		files, err := listText(root, opts)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if left <= 0 {
				break
			}
			data, ok, full := readText(f.Path, left)
			if full {
				left = 0 // the cap is reached, even if this file is skipped or cut
			} else {
				left -= int64(len(data))
			}
			if !ok {
				continue
			}
			f.Bytes = len(data)
			f.Split = fileSplit(f.Rel)
			if f.Split == Val {
				c.val = append(c.val, data...)
			} else {
				c.train = append(c.train, data...)
			}
			all.Write(data)
			c.Files = append(c.Files, f)
		}
	}
	if all.Len() == 0 {
		return nil, fmt.Errorf("tasks: no readable UTF-8 text under %s", strings.Join(paths, ", "))
	}
	if len(c.train) == 0 || len(c.val) == 0 {
		c.SplitBy = "position"
		for i := range c.Files {
			c.Files[i].Split = Train // the files' bytes straddle both splits
		}
		b := all.Bytes()
		cut := len(b) - len(b)/10
		c.train, c.val = b[:cut:cut], b[cut:]
	}
	h := sha256.New()
	h.Write(c.train)
	h.Write(c.val)
	c.sum = hex.EncodeToString(h.Sum(nil))
	return c, nil
}

// DefaultCorpus loads the Go standard library sources: the *.go files under
// GOROOT/src (runtime.GOROOT(), or `go env GOROOT` when that is empty),
// skipping testdata folders, in sorted order, capped at DefaultMaxBytes.
// The text differs between Go versions; Spec records the version and a
// content hash.
func DefaultCorpus() (*TextCorpus, error) {
	src, err := goSrc()
	if err != nil {
		return nil, err
	}
	c, err := LoadTextOptions(TextOptions{Exts: []string{".go"}, SkipDirs: []string{"testdata"}}, src)
	if c != nil {
		c.goSrc = true
	}
	return c, err
}

func goSrc() (string, error) {
	root := runtime.GOROOT()
	if root == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return "", fmt.Errorf("tasks: cannot find GOROOT for the default corpus: %w", err)
		}
		root = strings.TrimSpace(string(out))
	}
	src := filepath.Join(root, "src")
	if st, err := os.Stat(src); err != nil || !st.IsDir() {
		return "", fmt.Errorf("tasks: Go standard library sources not found at %s", src)
	}
	return src, nil
}

// listText returns the candidate files under root in sorted path order.
func listText(root string, opts TextOptions) ([]TextFile, error) {
	st, err := os.Stat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tasks: text path %s does not exist", root)
	}
	if err != nil {
		return nil, fmt.Errorf("tasks: cannot read text path %s: %w", root, err)
	}
	keep := func(name string) bool {
		return len(opts.Exts) == 0 || slices.Contains(opts.Exts, filepath.Ext(name))
	}
	if !st.IsDir() {
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("tasks: text path %s is not a regular file or a folder", root)
		}
		if !keep(root) {
			return nil, nil
		}
		return []TextFile{{Path: root, Rel: filepath.Base(root)}}, nil
	}
	var files []TextFile
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && p != root {
				return fs.SkipDir // an unreadable folder is skipped like an unreadable file
			}
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (strings.HasPrefix(name, ".") || slices.Contains(opts.SkipDirs, name)) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !keep(d.Name()) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, TextFile{Path: p, Rel: filepath.ToSlash(rel)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tasks: cannot read text under %s: %w", root, err)
	}
	slices.SortFunc(files, func(a, b TextFile) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// readText reads at most limit bytes of a file, cut back to a UTF-8
// character boundary. It reports whether they are non-empty text, and
// whether the limit was reached (so nothing more should be loaded).
func readText(path string, limit int64) (data []byte, ok, full bool) {
	f, _, err := userfile.Open(path, 0) // regular files only: a FIFO would block
	if err != nil {
		return nil, false, false
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, limit))
	if err != nil || len(data) == 0 {
		return nil, false, false
	}
	full = int64(len(data)) == limit
	if full {
		// Possibly cut: drop a trailing incomplete character.
		for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax; i-- {
			if utf8.RuneStart(data[i]) {
				if !utf8.FullRune(data[i:]) {
					data = data[:i]
				}
				break
			}
		}
	}
	if len(data) == 0 || bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, false, full
	}
	return data, true, full
}

// fileSplit is the split rule: FNV-1a(rel) mod 10 == 0 → Val.
func fileSplit(rel string) Split {
	h := fnv.New32a()
	h.Write([]byte(rel))
	if h.Sum32()%10 == 0 {
		return Val
	}
	return Train
}

// Name returns "text".
func (c *TextCorpus) Name() string { return "text" }

// Vocab returns 256: one token per byte value.
func (c *TextCorpus) Vocab() int { return 256 }

// Len returns the number of bytes in a split.
func (c *TextCorpus) Len(s Split) int { return len(c.split(s)) }

func (c *TextCorpus) split(s Split) []byte {
	if s == Val {
		return c.val
	}
	return c.train
}

// CheckShape reports an error unless b ≥ 1 and both splits hold at least
// t+1 bytes, so Sample and ValSample can draw windows of length t+1.
func (c *TextCorpus) CheckShape(b, t int) error {
	if b < 1 || t < 1 {
		return fmt.Errorf("tasks: text batch needs B ≥ 1 and T ≥ 1, got B=%d T=%d", b, t)
	}
	for _, s := range []Split{Train, Val} {
		if n := c.Len(s); n < t+1 {
			return fmt.Errorf("tasks: text %s split has %d bytes, need at least T+1 = %d", s, n, t+1)
		}
	}
	return nil
}

// Sample draws b windows of t+1 bytes, each starting at a uniform offset in
// the training split: Tokens = window[:t], Targets = window[1:], mask 1
// everywhere.
func (c *TextCorpus) Sample(r *rand.Rand, b, t int) Batch { return c.sample(Train, r, b, t) }

// ValSample is Sample on the validation split.
func (c *TextCorpus) ValSample(r *rand.Rand, b, t int) Batch { return c.sample(Val, r, b, t) }

func (c *TextCorpus) sample(s Split, r *rand.Rand, b, t int) Batch {
	data := c.split(s)
	if b < 1 || t < 1 || len(data) < t+1 {
		panic(fmt.Sprintf("tasks: text %s split of %d bytes cannot give B=%d windows of T+1=%d", s, len(data), b, t+1))
	}
	bt := NewBatch(b, t)
	for row := range b {
		tok, tgt, mask := bt.Row(row)
		w := data[r.IntN(len(data)-t):]
		for i := range t {
			tok[i], tgt[i], mask[i] = int32(w[i]), int32(w[i+1]), 1
		}
	}
	return bt
}

// Stream returns the first n bytes of a split as tokens, a contiguous
// stream for streaming evaluation; fewer if the split is shorter.
func (c *TextCorpus) Stream(s Split, n int) []int32 {
	data := c.split(s)
	n = max(0, min(n, len(data)))
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(data[i])
	}
	return out
}

// Spec returns the corpus specification: where it came from, the options,
// the split sizes and a sha256 of the loaded text.
func (c *TextCorpus) Spec() map[string]any {
	exts := c.opts.Exts
	if exts == nil {
		exts = []string{}
	}
	spec := map[string]any{
		"task":        c.Name(),
		"vocab":       c.Vocab(),
		"tokenizer":   "bytes",
		"roots":       slices.Clone(c.roots),
		"exts":        slices.Clone(exts),
		"max_bytes":   c.opts.MaxBytes,
		"files":       len(c.Files),
		"train_bytes": len(c.train),
		"val_bytes":   len(c.val),
		"split":       c.SplitBy,
		"split_rule":  "file to val when fnv1a32(relative path) % 10 == 0; by position (last 10% val) if a split is empty",
		"sha256":      c.sum,
	}
	if c.goSrc {
		spec["corpus"] = "go-stdlib"
		spec["go_version"] = runtime.Version()
	}
	return spec
}
