package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
)

// TestPublish: the files and the manifest are written, the headline table
// printed (its full version with Wide), JSON prints every table, Quiet
// nothing; a second run removes the first's files and says so; a cancelled
// run writes nothing.
func TestPublish(t *testing.T) {
	t.Parallel()
	full := NewTable("t", "T", Column{Name: "a"}, Column{Name: "b", Detail: 1})
	full.Add("x", "detail-value")
	head := NewTable("t", "T", Column{Name: "a"})
	head.Add("x")
	other := NewTable("u", "U", Column{Name: "c"})
	r := Results{Tables: []*Table{full, other}, Headline: []*Table{head}, Model: "m", Extra: map[string]any{"k": 1}}
	dir := filepath.Join(t.TempDir(), "out")
	run := func(p Publish, r Results) (string, string) {
		var o, e strings.Builder
		p.Dir, p.Stdout, p.Stderr, p.Width = dir, &o, &e, 100
		p.Manifest.Command, p.Manifest.Version, p.Manifest.Seed = []string{"attnlab", "x"}, "v1", 7
		if err := p.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String()
	}
	out, _ := run(Publish{}, r)
	if strings.Contains(out, "detail-value") || !strings.Contains(out, "wrote 3 files to "+dir) {
		t.Errorf("plain output %q", out)
	}
	m, err := ReadManifest(dir)
	if err != nil || m.Model != "m" || m.Seed != 7 || !slices.Equal(m.Files, []string{"t.csv", "u.csv"}) || m.Created == "" {
		t.Errorf("manifest %+v, %v", m, err)
	}
	if m.Interrupted != nil {
		t.Errorf("a finished run's manifest says it was interrupted: %+v", m.Interrupted)
	}
	// An interrupted run's manifest says so, with where it stopped.
	stopped := Results{Tables: []*Table{full}, Interrupted: &Interruption{Step: 3, Steps: 10, Checkpoint: "c", Resume: "attnlab go on"}}
	run(Publish{Quiet: true}, stopped)
	if m, err := ReadManifest(dir); err != nil || m.Interrupted == nil || *m.Interrupted != *stopped.Interrupted {
		t.Errorf("an interrupted run's manifest %+v, %v", m, err)
	}
	if raw, _ := os.ReadFile(filepath.Join(dir, "manifest.json")); !strings.Contains(string(raw), `"step": 3`) {
		t.Errorf("manifest.json lacks the interruption: %s", raw)
	}
	if out, _ := run(Publish{Wide: true}, r); !strings.Contains(out, "detail-value") {
		t.Errorf("wide output %q lacks the full table", out)
	}
	if out, _ := run(Publish{JSON: true}, r); !strings.HasPrefix(out, "{") || !strings.Contains(out, `"name": "u"`) {
		t.Errorf("JSON output %q", out)
	}
	out, errs := run(Publish{Quiet: true}, Results{Tables: []*Table{other}})
	if out != "" || errs != "" {
		t.Errorf("quiet printed %q, %q", out, errs)
	}
	_, errs = run(Publish{}, Results{Tables: []*Table{full}})
	if _, err := os.Stat(filepath.Join(dir, "u.csv")); err == nil || errs != dir+": removed the previous run's 1 files: u.csv\n" {
		t.Errorf("second run: stderr %q, u.csv stat %v", errs, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	empty := filepath.Join(t.TempDir(), "none")
	if err := (Publish{Dir: empty}).Write(ctx, r); err == nil {
		t.Error("a cancelled run wrote its results")
	}
	if _, err := os.Stat(empty); err == nil {
		t.Error("a cancelled run created its folder")
	}
}

func TestRemovedLine(t *testing.T) {
	t.Parallel()
	if got := RemovedLine("d", []string{"a.csv", "b.png"}, 100); got != "d: removed the previous run's 2 files: a.csv, b.png" {
		t.Errorf("got %q", got)
	}
	names := []string{"aaaaaaaaaa.csv", "bbbbbbbbbb.csv", "cccccccccc.csv"}
	if got := RemovedLine("d", names, 60); got != "d: removed the previous run's 3 files: aaaaaaaaaa.csv …" || len(got) > 62 {
		t.Errorf("got %q", got)
	}
}

// TestCheckDirAndFormat: an output folder must be named and be a folder
// or nothing yet; a figure format is one Publish writes.
func TestCheckDirAndFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{CheckDir(dir), ""}, {CheckDir(filepath.Join(dir, "new")), ""},
		{CheckDir(""), "out must name a folder, got an empty string"},
		{CheckDir(file), "out " + file + " exists and is not a folder"},
		{CheckFormat(""), ""}, {CheckFormat("svg"), ""},
		{CheckFormat("jpg"), `format must be png, svg or pdf, got "jpg"`},
	} {
		if got := fmt.Sprint(c.err); c.want == "" && c.err != nil || c.want != "" && (got != c.want || !badinput.Is(c.err)) {
			t.Errorf("got %v, want %q", c.err, c.want)
		}
	}
}
