package report

import (
	"encoding/json"
	"fmt"
	"io"
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
}

// Output writes a command's files into one folder, atomically, and keeps the
// list of names written for the manifest. It is safe for concurrent use.
type Output struct {
	Dir   string   // output folder, created on first write
	Files []string // names written so far, in order, each once

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
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
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
func (o *Output) WriteManifest(m Manifest) error {
	o.mu.Lock()
	m.Files = append([]string{}, o.Files...)
	o.mu.Unlock()
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
	return WriteFileAtomic(filepath.Join(o.Dir, "manifest.json"), func(w io.Writer) error {
		_, err := w.Write(enc)
		return err
	})
}
