package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func sampleTable() *Table {
	t := NewTable("heads", "Head scores",
		Column{Name: "head"},
		Column{Name: "layer"},
		Column{Name: "induction", Format: "%.3f"},
		Column{Name: "loss", Unit: "nats"},
		Column{Name: "note"},
		Column{Name: "copying"},
	)
	t.Caption = "scores on 64 repeated sequences"
	t.Add("L0H0", 0, 0.1, 1.0/3, "plain", true)
	t.Add("L1H3", int64(1), 0.987654321, math.NaN(), `has, comma and "quotes"`, false)
	t.Add("L1H2", 1, math.Inf(1), 2.5e-300, "line\nbreak", true)
	return t
}

func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	tab := sampleTable()
	var buf bytes.Buffer
	if err := tab.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.SplitN(buf.String(), "\n", 2)[0], "head,layer,induction,loss,note,copying"; got != want {
		t.Errorf("header = %q, want %q", got, want)
	}
	back, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Columns) != len(tab.Columns) || len(back.Rows) != len(tab.Rows) {
		t.Fatalf("shape %dx%d, want %dx%d", len(back.Rows), len(back.Columns), len(tab.Rows), len(tab.Columns))
	}
	for i, row := range tab.Rows {
		for j, want := range row {
			got := back.Rows[i][j]
			switch w := want.(type) {
			case float64:
				g, ok := got.(float64)
				if !ok || !(g == w || math.IsNaN(g) && math.IsNaN(w)) {
					t.Errorf("cell [%d][%d] = %#v, want %v (bit-exact)", i, j, got, w)
				}
			case int:
				if got != int64(w) {
					t.Errorf("cell [%d][%d] = %#v, want int64(%d)", i, j, got, w)
				}
			default:
				if got != want {
					t.Errorf("cell [%d][%d] = %#v, want %#v", i, j, got, want)
				}
			}
		}
	}
}

func TestCSVFloat32AndColumnTypes(t *testing.T) {
	t.Parallel()
	tab := NewTable("x", "", Column{Name: "f32"}, Column{Name: "mixed"}, Column{Name: "whole"})
	tab.Add(float32(0.1), "1", 1.0)
	tab.Add(float32(1e-7), "a", 2.0)
	var buf bytes.Buffer
	if err := tab.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "0.1,1,1\n") {
		t.Errorf("float32 0.1 should be written as its shortest float32 form; got %q", buf.String())
	}
	back, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Rows[1][0].(float64); float32(got) != float32(1e-7) {
		t.Errorf("float32 round trip: got %v", got)
	}
	// A column mixing numbers and words stays a string column.
	if got := back.Rows[0][1]; got != "1" {
		t.Errorf("mixed column cell = %#v, want string \"1\"", got)
	}
	// Whole-valued floats read back as int64, and Float reads them.
	if f, ok := Float(back.Rows[1][2]); !ok || f != 2 {
		t.Errorf("Float(%#v) = %v, %v", back.Rows[1][2], f, ok)
	}
}

func TestReadCSVErrors(t *testing.T) {
	t.Parallel()
	if _, err := ReadCSV(strings.NewReader("")); err == nil || !strings.HasPrefix(err.Error(), "report: ") {
		t.Errorf("empty input: err = %v", err)
	}
	if _, err := ReadCSV(strings.NewReader("a,b\n1,2,3\n")); err == nil {
		t.Error("ragged CSV: no error")
	}
}

func TestAddPanicsOnArity(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Add with wrong arity did not panic")
		}
	}()
	NewTable("x", "", Column{Name: "a"}).Add(1, 2)
}

func TestJSONShape(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleTable()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tables []struct {
			Name    string
			Title   string
			Caption string
			Columns []struct{ Name, Unit string }
			Rows    []map[string]any
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, buf.String())
	}
	if len(doc.Tables) != 1 {
		t.Fatalf("%d tables, want 1", len(doc.Tables))
	}
	got := doc.Tables[0]
	if got.Name != "heads" || got.Title != "Head scores" || got.Caption == "" {
		t.Errorf("name/title/caption = %q/%q/%q", got.Name, got.Title, got.Caption)
	}
	if len(got.Columns) != 6 || got.Columns[3].Name != "loss" || got.Columns[3].Unit != "nats" {
		t.Errorf("columns = %+v", got.Columns)
	}
	if len(got.Rows) != 3 {
		t.Fatalf("%d rows, want 3", len(got.Rows))
	}
	if got.Rows[0]["head"] != "L0H0" || got.Rows[0]["induction"] != 0.1 || got.Rows[0]["copying"] != true {
		t.Errorf("row 0 = %v", got.Rows[0])
	}
	if v, ok := got.Rows[1]["loss"]; !ok || v != nil {
		t.Errorf("NaN encoded as %#v, want null", v)
	}
	if v := got.Rows[2]["induction"]; v != nil {
		t.Errorf("+Inf encoded as %#v, want null", v)
	}
	// Row keys keep column order.
	if i, j := strings.Index(buf.String(), `"head"`), strings.Index(buf.String(), `"layer"`); i > j {
		t.Error("row keys not in column order")
	}
	// Pretty-printed.
	if !strings.Contains(buf.String(), "\n  \"tables\": [") {
		t.Errorf("not indented:\n%s", buf.String())
	}
}

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {0.123456, "0.1235"}, {123.456, "123.5"}, {-12345.6, "-12346"},
		{9.99996, "10.00"}, {0.5, "0.5000"}, {1e-5, "1.000e-05"}, {2e6, "2.000e+06"},
		{math.NaN(), "NaN"}, {math.Inf(-1), "-Inf"},
	} {
		if got := FormatNumber(c.v); got != c.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "dir", "a.csv")
	if err := WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "old\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A write that fails midway leaves the old file and no temporary file.
	boom := errors.New("disk on fire")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, strings.Repeat("new half-written ", 10000))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want wrapping %v", err, boom)
	}
	checkOnly(t, filepath.Dir(path), "a.csv", "old\n")

	// So does a panic, which is re-raised.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic in write was swallowed")
			}
		}()
		WriteFileAtomic(path, func(w io.Writer) error {
			io.WriteString(w, "partial")
			panic("bug")
		})
	}()
	checkOnly(t, filepath.Dir(path), "a.csv", "old\n")

	if err := WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	checkOnly(t, filepath.Dir(path), "a.csv", "new\n")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, %v; want 0644", fi.Mode(), err)
	}
}

// checkOnly checks that dir holds exactly the file name with content want.
func checkOnly(t *testing.T, dir, name, want string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != name {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only %s", names, name)
	}
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || string(got) != want {
		t.Errorf("%s = %q, %v; want %q", name, got, err, want)
	}
}

func TestOutput(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	o := NewOutput(dir)
	p, err := o.WriteTable(sampleTable())
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(dir, "heads.csv") {
		t.Errorf("path = %q", p)
	}
	if _, err := o.WriteFile("heads.png", func(w io.Writer) error { _, err := w.Write([]byte{0x89}); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := o.WriteTable(sampleTable()); err != nil { // rewrite: listed once
		t.Fatal(err)
	}
	for _, bad := range []string{"", "../x.csv", "a/b.csv", ".hidden"} {
		if _, err := o.WriteFile(bad, func(io.Writer) error { return nil }); err == nil {
			t.Errorf("WriteFile(%q): no error", bad)
		}
	}
	if err := o.WriteManifest(Manifest{Command: []string{"attnlab", "heads"}, Version: "v0.1.0", Model: "tiny2l", Seed: 7, Extra: map[string]any{"n_seqs": 64}}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Files, ",") != "heads.csv,heads.png" || m.Seed != 7 || m.Model != "tiny2l" || m.Created == "" || m.Extra["n_seqs"] != 64.0 {
		t.Errorf("manifest = %+v", m)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Errorf("output folder holds %d files, want 3 (no temporaries)", len(ents))
	}
}

// TestWriteFileAtomicRefusesSpecialFiles: a device, a named pipe or a folder
// at the path is refused before write runs, and survives (issue 9, item 6);
// a stale temporary file of a killed writer is removed (item 13).
func TestWriteFileAtomicRefusesSpecialFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	targets := []string{fifo, dir, "/dev/null"}
	if os.Geteuid() == 0 {
		dev := filepath.Join(dir, "d.csv")
		if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|7); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, dev)
	}
	for _, p := range targets {
		before, _ := os.Lstat(p)
		called := false
		err := WriteFileAtomic(p, func(w io.Writer) error { called = true; return nil })
		if err == nil || called || CheckTarget(p) == nil {
			t.Errorf("WriteFileAtomic(%s): err %v, write called %v; want a refusal before writing", p, err, called)
		}
		if after, err := os.Lstat(p); err != nil || after.Mode() != before.Mode() {
			t.Errorf("%s changed from %v to %v", p, before.Mode(), after.Mode())
		}
	}
	stale := filepath.Join(dir, ".a.csv.tmp-4242")
	os.WriteFile(stale, []byte("half"), 0o644)
	if err := WriteFileAtomic(filepath.Join(dir, "a.csv"), func(w io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file left: %v", err)
	}
}
