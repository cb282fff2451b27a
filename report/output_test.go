package report

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// run writes the named files into dir as one run and returns the Output.
func run(t *testing.T, dir string, names ...string) *Output {
	t.Helper()
	o := NewOutput(dir)
	for _, n := range names {
		if _, err := o.WriteFile(n, func(w io.Writer) error { _, err := io.WriteString(w, n); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.WriteManifest(Manifest{Command: []string{"attnlab", "x"}, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	return o
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestOutputHoldsOneRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run(t, dir, "heads.csv", "composition_k.png", "pattern_L1H2.png")
	// Files the user put there, and a folder, are not the run's.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(dir, "other.csv"), []byte("mine"), 0o644)
	o := run(t, dir, "heads.csv", "pattern_L0H1.png")
	if got, want := listDir(t, dir), []string{"heads.csv", "manifest.json", "notes.txt", "other.csv", "pattern_L0H1.png"}; !slices.Equal(got, want) {
		t.Errorf("folder holds %v, want %v", got, want)
	}
	if want := []string{"composition_k.png", "pattern_L1H2.png"}; !slices.Equal(o.Removed, want) {
		t.Errorf("Removed = %v, want %v", o.Removed, want)
	}
	// A third run of the same files removes nothing.
	if o := run(t, dir, "heads.csv", "pattern_L0H1.png"); len(o.Removed) != 0 {
		t.Errorf("Removed = %v, want nothing", o.Removed)
	}
}

func TestStaleLeavesForeignFilesAlone(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, manifest string
	}{
		{"not attnlab's", `{"command": ["python", "x.py"], "version": "1", "files": ["a.csv"]}`},
		{"no version", `{"command": ["attnlab"], "files": ["a.csv"]}`},
		{"not JSON", `a.csv`},
		{"paths and kinds", `{"command": ["attnlab"], "version": "1", "files": ["../a.csv", "sub/a.csv", "main.go", ".a.csv", "dir.csv"]}`},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "a.csv"), nil, 0o644)
		os.WriteFile(filepath.Join(dir, "main.go"), nil, 0o644)
		os.Mkdir(filepath.Join(dir, "dir.csv"), 0o755)
		os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(c.manifest), 0o644)
		if got := Stale(dir, nil); len(got) != 0 {
			t.Errorf("%s: Stale = %v, want nothing", c.name, got)
		}
	}
	// A manifest that is a folder, or no folder at all.
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "manifest.json"), 0o755)
	if got := Stale(dir, nil); got != nil {
		t.Errorf("Stale = %v", got)
	}
	if got := Stale(filepath.Join(dir, "missing"), nil); got != nil {
		t.Errorf("Stale = %v", got)
	}
	// The manifest's own name and duplicates are listed once at most.
	os.Remove(filepath.Join(dir, "manifest.json"))
	os.WriteFile(filepath.Join(dir, "a.csv"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"command": ["/usr/bin/attnlab"], "version": "1", "files": ["a.csv", "a.csv", "manifest.json"]}`), 0o644)
	if got := Stale(dir, nil); strings.Join(got, ",") != "a.csv" {
		t.Errorf("Stale = %v, want [a.csv]", got)
	}
}
