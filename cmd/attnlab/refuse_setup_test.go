package main

// The hostile-input cases' setups (refuse_test.go): files a user could hand
// attnlab — a good model, a device node, a named pipe, rewritten weights,
// checkpoints and headers.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/safetensors"
)

// Files the cases use, created in the case's folder by setup.
func writeGood(t *testing.T, dir string) string {
	t.Helper()
	m, err := fixtures.Model("induction-1l")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "good.safetensors")
	if err := m.Save(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// mknodDev makes the device node {dir}/d (major 1, minor 7, /dev/full), as
// the reproduction does; it needs root.
func mknodDev(t *testing.T, dir string) {
	if os.Geteuid() != 0 {
		t.Skip("making a device node needs root")
	}
	if err := syscall.Mknod(filepath.Join(dir, "d"), syscall.S_IFCHR|0o666, 1<<8|7); err != nil {
		t.Skipf("mknod: %v", err)
	}
}

func mkfifo(name string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// rewriteModel saves induction-1l with edit applied to its tensors and
// metadata, through the raw safetensors encoder (any dtype).
func rewriteModel(name string, edit func(ts []safetensors.WriteTensor, md map[string]string) ([]byte, error)) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		m, err := fixtures.Model("induction-1l")
		if err != nil {
			t.Fatal(err)
		}
		var ts []safetensors.WriteTensor
		for _, p := range m.Params.Tensors {
			ts = append(ts, safetensors.WriteTensor{Name: p.Name, Shape: p.Shape, F32: p.Data})
		}
		b, err := edit(ts, m.Metadata())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func encode(ts []safetensors.WriteTensor, md map[string]string) ([]byte, error) {
	var b bytes.Buffer
	err := safetensors.Encode(&b, ts, md)
	return b.Bytes(), err
}

// withHeader re-encodes a file with its header edited as JSON.
func withHeader(data []byte, edit func(h map[string]any)) []byte {
	n := binary.LittleEndian.Uint64(data)
	var h map[string]any
	json.Unmarshal(data[8:8+n], &h)
	edit(h)
	hj, _ := json.Marshal(h)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hj)))
	return append(append(out, hj...), data[8+n:]...)
}

// sparseBig writes a 3 GB sparse weights file whose config asks for a
// million layers (it costs no disk).
func sparseBig(t *testing.T, dir string) {
	cfg := `{"n_layers": 1000000, "d_model": 64, "n_heads": 4, "d_vocab": 64, "n_ctx": 128}`
	const size = 3 << 30
	hdr := func(n int64) []byte {
		h, _ := json.Marshal(map[string]any{"__metadata__": map[string]string{"config": cfg},
			"embed.W_E": map[string]any{"dtype": "U8", "shape": []int64{n}, "data_offsets": []int64{0, n}}})
		return h
	}
	h := hdr(size)
	h = hdr(size - 8 - int64(len(h)))
	p := filepath.Join(dir, "big.safetensors")
	os.WriteFile(p, append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...), 0o644)
	if err := os.Truncate(p, size); err != nil {
		t.Fatal(err)
	}
}

// checkpoint trains a 6-step run, keeps its checkpoint
// {dir}/k.ckpt.safetensors (a run a resume would just finish) and applies
// edit to its state.
func checkpoint(edit func(st map[string]any)) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		out := filepath.Join(dir, "k.safetensors")
		ck := filepath.Join(dir, "k.ckpt.safetensors")
		args := append(append([]string{}, tinyTrain...), "--steps", "6", "--checkpoint-every", "4", "--out", out)
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("train: %s", stderr)
		}
		if edit != nil {
			rewrite(t, ck, edit)
		}
		for _, f := range []string{out, "loss.csv", "loss.png", "manifest.json", "train_summary.csv", "report.html"} {
			os.Remove(filepath.Join(dir, filepath.Base(f)))
		}
	}
}

// rewrite edits the checkpoint state of the file at path in place.
func rewrite(t *testing.T, path string, edit func(st map[string]any)) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(f.Metadata["attnlab.checkpoint"]), &st); err != nil {
		t.Fatal(err)
	}
	edit(st)
	js, _ := json.Marshal(st)
	f.Metadata["attnlab.checkpoint"] = string(js)
	var ts []safetensors.WriteTensor
	for _, tn := range f.Tensors {
		v, _ := tn.Float32()
		ts = append(ts, safetensors.WriteTensor{Name: tn.Name, Shape: tn.Shape, F32: v})
	}
	if err := safetensors.WriteFile(path, ts, f.Metadata); err != nil {
		t.Fatal(err)
	}
}
