package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Manifest describes one command run: how it was invoked and what it wrote.
// It is written as manifest.json beside the outputs.
type Manifest struct {
	Command []string       `json:"command"`         // os.Args of the run
	Version string         `json:"version"`         // attnlab version
	Model   string         `json:"model"`           // weights file or built-in model name
	Seed    uint64         `json:"seed"`            // --seed
	Created string         `json:"created"`         // RFC 3339; filled in by WriteManifest if empty
	Files   []string       `json:"files"`           // file names relative to the output folder
	Extra   map[string]any `json:"extra,omitempty"` // command-specific settings
	// Interrupted is set when the run was stopped before it finished: the
	// files listed are what it had done, and its own final outputs (a
	// trained model) were not written.
	Interrupted *Interruption `json:"interrupted,omitempty"`
}

// Interruption says where an interrupted run stopped and how to continue it.
type Interruption struct {
	Step       int    `json:"step"`                 // steps done
	Steps      int    `json:"steps"`                // steps the run was to do
	Checkpoint string `json:"checkpoint,omitempty"` // the file that holds the run
	Resume     string `json:"resume,omitempty"`     // the command line that continues it
}

// Output writes a command's files into one folder, atomically, and keeps the
// list of names written for the manifest. The folder holds one run:
// WriteManifest removes the files the previous run's manifest lists that
// this run did not write. It is safe for concurrent use.
type Output struct {
	Dir   string   // output folder, created on first write
	Files []string // names written so far, in order, each once
	// Removed lists the previous run's files WriteManifest removed.
	Removed []string

	mu sync.Mutex
}

// NewOutput returns an Output writing into dir.
func NewOutput(dir string) *Output {
	return &Output{Dir: dir}
}

// WriteTable writes t as Dir/<t.Name>.csv and returns the path.
func (o *Output) WriteTable(t *Table) (string, error) {
	return o.WriteFile(t.Name+".csv", t.WriteCSV)
}

// WriteFile writes Dir/name atomically through write (for figures and other
// files) and records name. name must be a plain file name.
func (o *Output) WriteFile(name string, write func(io.Writer) error) (string, error) {
	if !plainName(name) {
		return "", fmt.Errorf("report: output file name %q must be a plain file name", name)
	}
	path := filepath.Join(o.Dir, name)
	if err := WriteFileAtomic(path, write); err != nil {
		return "", err
	}
	o.mu.Lock()
	if !slices.Contains(o.Files, name) {
		o.Files = append(o.Files, name)
	}
	o.mu.Unlock()
	return path, nil
}

// WriteManifest writes Dir/manifest.json with m.Files set to the files
// written so far; m.Created defaults to the current time (UTC, RFC 3339).
// Then it removes the files that the manifest it replaced lists and this
// run did not write (see Stale), and records them in Removed.
func (o *Output) WriteManifest(m Manifest) error {
	o.mu.Lock()
	m.Files = append([]string{}, o.Files...)
	o.mu.Unlock()
	stale := Stale(o.Dir, m.Files)
	if m.Created == "" {
		m.Created = time.Now().UTC().Format(time.RFC3339)
	}
	if m.Command == nil {
		m.Command = []string{}
	}
	enc, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encoding manifest: %w", err)
	}
	enc = append(enc, '\n')
	if err := WriteFileAtomic(filepath.Join(o.Dir, "manifest.json"), func(w io.Writer) error {
		_, err := w.Write(enc)
		return err
	}); err != nil {
		return err
	}
	for _, name := range stale {
		if err := os.Remove(filepath.Join(o.Dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("report: removing the previous run's %s: %w", name, err)
		}
		o.Removed = append(o.Removed, name)
	}
	return nil
}

// maxManifest bounds the size of a manifest read back.
const maxManifest = 1 << 20

// Stale returns the files of the previous run in dir that a run writing
// keep leaves behind: the names listed in dir/manifest.json, if it is an
// attnlab manifest, that are not in keep and are regular files of the kinds
// attnlab writes (.csv, .png, .svg, .pdf, .json, .html). Anything else — a
// manifest that is not attnlab's, a name with a path in it, a folder, a
// link — is left alone.
func Stale(dir string, keep []string) []string {
	old, err := ReadManifest(dir)
	if err != nil {
		return nil
	}
	var stale []string
	for _, name := range old.Files {
		if !plainName(name) || slices.Contains(keep, name) || slices.Contains(stale, name) || name == "manifest.json" {
			continue
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".csv", ".png", ".svg", ".pdf", ".json", ".html":
		default:
			continue
		}
		if fi, err := os.Lstat(filepath.Join(dir, name)); err == nil && fi.Mode().IsRegular() {
			stale = append(stale, name)
		}
	}
	return stale
}

// ReadManifest reads dir/manifest.json, which must be a regular file of at
// most 1 MiB written by attnlab.
func ReadManifest(dir string) (Manifest, error) {
	path := filepath.Join(dir, "manifest.json")
	fi, err := os.Lstat(path)
	if err != nil {
		return Manifest{}, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxManifest {
		return Manifest{}, fmt.Errorf("report: %s is not a regular file of at most %d bytes", path, maxManifest)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, err
	}
	var m Manifest
	if json.Unmarshal(raw, &m) != nil || len(m.Command) == 0 || filepath.Base(m.Command[0]) != "attnlab" || m.Version == "" {
		return Manifest{}, fmt.Errorf("report: %s is not a manifest attnlab wrote", path)
	}
	return m, nil
}

// plainName reports whether name is a file name without a folder.
func plainName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`) && !strings.HasPrefix(name, ".")
}
