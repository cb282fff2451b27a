package model

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/safetensors"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	cfg := tinyCfg
	cfg.Attention = []string{"softmax", "softmax"}
	m := testModel(t, cfg)
	m.Meta["task"] = "induction"
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Params.Data, m.Params.Data) || got.Meta["task"] != "induction" || got.Config.NLayers != 2 || got.Config.ActFn != "gelu_new" {
		t.Errorf("round trip changed the model: %+v %v", got.Config, got.Meta)
	}
}

// rawTensor is a tensor with explicit dtype and little-endian bytes.
type rawTensor struct {
	name  string
	dtype string
	shape []int
	data  []byte
}

// rawFile assembles a safetensors file by hand (any dtype).
func rawFile(ts []rawTensor, meta map[string]string) []byte {
	h := map[string]any{}
	if meta != nil {
		h["__metadata__"] = meta
	}
	var buf []byte
	for _, t := range ts {
		h[t.name] = map[string]any{"dtype": t.dtype, "shape": t.shape, "data_offsets": []int{len(buf), len(buf) + len(t.data)}}
		buf = append(buf, t.data...)
	}
	hj, _ := json.Marshal(h)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hj)))
	return append(append(out, hj...), buf...)
}

// stateDict returns the golden attention-only model as a TransformerLens
// state dict would be saved: no metadata, the causal mask and IGNORE buffers
// included, every weight in the given dtype.
func stateDict(t *testing.T, dtype string) (file []byte, cfgJSON []byte, ref *Model) {
	t.Helper()
	ref, err := Load("testdata/golden/attn_only_2l.model.safetensors", "")
	if err != nil {
		t.Fatal(err)
	}
	var ts []rawTensor
	for _, p := range ref.Params.Tensors {
		var b []byte
		for _, v := range p.Data {
			switch dtype {
			case "F64":
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(v)))
			case "BF16":
				b = binary.LittleEndian.AppendUint16(b, uint16(math.Float32bits(v)>>16)) // truncation
			default:
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
		}
		ts = append(ts, rawTensor{p.Name, dtype, p.Shape, b})
	}
	T := ref.Config.NCtx
	ts = append(ts, rawTensor{"blocks.0.attn.mask", "BOOL", []int{T, T}, make([]byte, T*T)},
		rawTensor{"blocks.0.attn.IGNORE", "F32", []int{}, binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(math.Inf(-1))))})
	cfgJSON = ref.Config.JSON()
	return rawFile(ts, nil), cfgJSON, ref
}

func TestLoadTransformerLensStateDict(t *testing.T) {
	dir := t.TempDir()
	for _, dtype := range []string{"F32", "F64", "BF16"} {
		file, cfgJSON, ref := stateDict(t, dtype)
		path := filepath.Join(dir, dtype+".safetensors")
		os.WriteFile(path, file, 0o644)
		cfgPath := filepath.Join(dir, "config.json")
		os.WriteFile(cfgPath, cfgJSON, 0o644)
		if _, err := Load(path, ""); !errors.Is(err, ErrNoConfig) || !strings.Contains(err.Error(), "config.json") {
			t.Errorf("%s without a config: got %v, want ErrNoConfig asking for config.json", dtype, err)
		}
		m, err := Load(path, cfgPath)
		if err != nil {
			t.Fatalf("%s: %v", dtype, err)
		}
		tol := 0.0
		if dtype == "BF16" {
			tol = 1.0 / 128 // 8 bits of mantissa, truncated
		}
		for i, v := range m.Params.Data {
			if d := math.Abs(float64(v - ref.Params.Data[i])); d > tol*math.Abs(float64(ref.Params.Data[i]))+1e-30 {
				t.Fatalf("%s: parameter %s = %v, want %v", dtype, m.Params.NameOf(i), v, ref.Params.Data[i])
			}
		}
	}
}

func TestLoadRejectsMalformedModels(t *testing.T) {
	good, err := os.ReadFile("testdata/golden/attn_only_2l.model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := safetensors.Parse(good)
	rewrite := func(edit func(ts []safetensors.WriteTensor) []safetensors.WriteTensor, meta map[string]string) *safetensors.File {
		var ts []safetensors.WriteTensor
		for _, st := range f.Tensors {
			v, _ := st.Float32()
			ts = append(ts, safetensors.WriteTensor{Name: st.Name, Shape: st.Shape, F32: v})
		}
		var buf bytes.Buffer
		if err := safetensors.Encode(&buf, edit(ts), meta); err != nil {
			t.Fatal(err)
		}
		out, err := safetensors.Parse(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cases := map[string]struct {
		file *safetensors.File
		want string
	}{
		"missing": {rewrite(func(ts []safetensors.WriteTensor) []safetensors.WriteTensor { return ts[1:] }, f.Metadata), `tensor "embed.W_E" is missing`},
		"extra": {rewrite(func(ts []safetensors.WriteTensor) []safetensors.WriteTensor {
			return append(ts, safetensors.WriteTensor{Name: "blocks.0.mlp.W_in", Shape: []int{1}, F32: []float32{1}})
		}, f.Metadata), `unexpected tensor "blocks.0.mlp.W_in"`},
		"shape": {rewrite(func(ts []safetensors.WriteTensor) []safetensors.WriteTensor {
			ts[2].Shape = []int{4, 8, 32}
			return ts
		}, f.Metadata), `has shape [4 8 32], the config wants [4 32 8]`},
		"nan": {rewrite(func(ts []safetensors.WriteTensor) []safetensors.WriteTensor {
			ts[3].F32[5] = float32(math.NaN())
			return ts
		}, f.Metadata), "NaN or Inf"},
		"config": {rewrite(func(ts []safetensors.WriteTensor) []safetensors.WriteTensor { return ts },
			map[string]string{"config": `{"n_layers": 2, "d_model": 32, "n_heads": 0}`}), "n_heads must be a positive integer"},
		"huge": {rewrite(func(ts []safetensors.WriteTensor) []safetensors.WriteTensor { return ts },
			map[string]string{"config": `{"n_layers": 64, "d_model": 65536, "n_heads": 1024, "d_head": 64, "d_vocab": 65536, "n_ctx": 256, "attn_only": true}`}), "the config wants [65536 65536]"},
	}
	for name, c := range cases {
		_, err := FromSafetensors[float32](c.file, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.want)
		}
	}
}

// TestLoadRefusesNonFloatParameters: integer and BOOL tensors are not
// weights (issue 9, item 8: an I32 W_Q loaded with norm 6.9e10).
func TestLoadRefusesNonFloatParameters(t *testing.T) {
	t.Parallel()
	ref, err := Load("testdata/golden/attn_only_2l.model.safetensors", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range []struct {
		name string
		size int
	}{{"I32", 4}, {"BOOL", 1}, {"U8", 1}, {"I64", 8}} {
		var ts []rawTensor
		for _, p := range ref.Params.Tensors {
			b := make([]byte, 4*len(p.Data))
			for i, v := range p.Data {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
			}
			rt := rawTensor{p.Name, "F32", p.Shape, b}
			if p.Name == "blocks.0.attn.W_Q" {
				rt = rawTensor{p.Name, dt.name, p.Shape, make([]byte, dt.size*len(p.Data))}
			}
			ts = append(ts, rt)
		}
		f, err := safetensors.Parse(rawFile(ts, map[string]string{"config": string(ref.Config.JSON())}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = FromSafetensors[float32](f, nil)
		want := `model: tensor "blocks.0.attn.W_Q" has dtype ` + dt.name + "; parameters must be F32, F16, BF16 or F64"
		if err == nil || err.Error() != want {
			t.Errorf("%s W_Q: got %v, want %q", dt.name, err, want)
		}
	}
}

// sparseWeightsFile writes a file of size bytes (sparse: it costs no disk) whose
// header holds cfg and one tensor spanning the whole data buffer.
func sparseWeightsFile(t *testing.T, cfg string, size int64) string {
	t.Helper()
	hdr := func(dataLen int64) []byte {
		h, _ := json.Marshal(map[string]any{"__metadata__": map[string]string{"config": cfg},
			"embed.W_E": map[string]any{"dtype": "U8", "shape": []int64{dataLen}, "data_offsets": []int64{0, dataLen}}})
		return h
	}
	h := hdr(size) // the length's digits fix the header size
	h = hdr(size - 8 - int64(len(h)))
	path := filepath.Join(t.TempDir(), "big.safetensors")
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	if err := os.WriteFile(path, append(out, h...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadReadsHeaderFirst: a 3 GB file whose config is invalid, or whose
// tensors need more than the memory budget, is refused after reading its
// header only (issue 9, item 1: it cost 3.1 GB of memory before the
// rejection).
func TestLoadReadsHeaderFirst(t *testing.T) {
	const size = 3 << 30
	cases := []struct{ cfg, want string }{
		{`{"n_layers": 1000000, "d_model": 64, "n_heads": 4, "d_vocab": 64, "n_ctx": 128}`, "n_layers = 1000000 is more than attnlab supports (64)"},
		{`{"n_layers": 1, "d_model": 64, "n_heads": 4, "d_vocab": 64, "n_ctx": 128, "attn_only": true}`, "the config wants [64 64]"},
	}
	for _, c := range cases {
		path := sparseWeightsFile(t, c.cfg, size)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Load(path, "")
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
			t.Errorf("allocated %d MB before refusing", d>>20)
		}
	}
}

// TestLoadChecksMemoryBudget: a well-formed model larger than the budget is
// refused with the estimate, before its tensors are read.
func TestLoadChecksMemoryBudget(t *testing.T) {
	m := testModel(t, tinyCfg)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	membudget.SetLimit(1000, "a test")
	defer membudget.SetLimit(0, "")
	_, err := Load(path, "")
	if err == nil || !strings.Contains(err.Error(), "model: loading a model of ") || !strings.Contains(err.Error(), "more than the limit of 1000 B (set by a test)") {
		t.Errorf("got %v", err)
	}
}

// TestLoadRefusesSpecialFiles: /dev/zero and a FIFO, as the weights or as
// the config, are refused at once (issue 9, item 1).
func TestLoadRefusesSpecialFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	good := "testdata/golden/attn_only_2l.model.safetensors"
	cases := []struct{ path, config, want string }{
		{"/dev/zero", "", "/dev/zero is a device, not a regular file"},
		{fifo, "", fifo + " is a named pipe (FIFO), not a regular file"},
		{good, "/dev/zero", "model: reading config: /dev/zero is a device, not a regular file"},
		{good, fifo, "is a named pipe (FIFO), not a regular file"},
		{good, dir, dir + " is a folder, not a regular file"},
	}
	for _, c := range cases {
		done := make(chan error, 1)
		go func() { _, err := Load(c.path, c.config); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load(%s, %s) = %v, want %q", c.path, c.config, err, c.want)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("Load(%s, %s) still running after 2 s", c.path, c.config)
		}
	}
}

// TestWorkspaceBytesMatchesAllocation: the estimate the memory budget is
// checked with is exactly what NewWorkspace allocates, for every layout.
func TestWorkspaceBytesMatchesAllocation(t *testing.T) {
	t.Parallel()
	rot := tinyCfg
	rot.PositionalEmbeddingType, rot.RotaryDim = "rotary", 4
	only := tinyCfg
	only.DMLP, only.AttnOnly = 0, true
	sink := only
	sink.Attention = []string{"learned-sink", "softmax1"}
	long := only
	long.NCtx = FusedMinT + 4 // the blockwise path: no pattern buffer
	for _, cfg := range []Config{tinyCfg, rot, only, sink, long} {
		m := testModel(t, cfg)
		for _, bt := range [][2]int{{1, 1}, {3, 7}, {2, m.Config.NCtx}} {
			w, err := m.NewWorkspace(bt[0], bt[1])
			if err != nil {
				t.Fatal(err)
			}
			if got, want := m.WorkspaceBytes(bt[0], bt[1]), int64(4*w.elems+12*bt[0]*bt[1]); got != want {
				t.Errorf("%s, [%d, %d]: WorkspaceBytes %d, allocated %d", cfg.Summary(), bt[0], bt[1], got, want)
			}
		}
	}
	m := testModel(t, tinyCfg)
	if got := m.WorkspaceBytes(4611686018427387904, 10); got != math.MaxInt64 {
		t.Errorf("an overflowing batch estimates %d bytes, want saturation", got)
	}
	if _, err := m.NewWorkspace(100_000_000, 10); err == nil || !strings.Contains(err.Error(), "the activations of 100000000 sequences × 10 positions") {
		t.Errorf("NewWorkspace(1e8, 10) = %v, want a memory refusal", err)
	}
}

// TestRunStopsWhenCancelled: a cancelled context stops a forward pass
// between layers and Run returns its error (commands stop promptly on
// Ctrl-C even inside one large forward).
func TestRunStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	m := testModel(t, tinyCfg)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Run(randTokens(2, 5, 13, 1), 2, 5, RunOptions{Context: ctx}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v, want context.Canceled", err)
	}
	if _, err := m.Run(randTokens(2, 5, 13, 1), 2, 5, RunOptions{Context: context.Background()}); err != nil {
		t.Errorf("live context: %v", err)
	}
}
