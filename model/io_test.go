package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
		if _, err := Load(path, ""); err == nil || !strings.Contains(err.Error(), "--config") {
			t.Errorf("%s without a config: got %v, want an error pointing to --config", dtype, err)
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

// FuzzLoad feeds arbitrary bytes through the whole loading path (parse,
// config, shape checks, conversion): it must return an error or a model,
// never panic, and never allocate by an unchecked header value.
func FuzzLoad(f *testing.F) {
	good, err := os.ReadFile("testdata/golden/attn_only_2l.model.safetensors")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[:100])
	f.Add([]byte{})
	f.Add(rawFile(nil, map[string]string{"config": `{"n_layers": 1, "d_model": 4, "n_heads": 1, "d_vocab": 3, "n_ctx": 2, "attn_only": true}`}))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := safetensors.Parse(data)
		if err != nil {
			return
		}
		m, err := FromSafetensors[float32](sf, nil)
		if err != nil {
			return
		}
		if m.NumParams() == 0 || m.Config.Validate() != nil {
			t.Fatalf("accepted an invalid model: %+v", m.Config)
		}
	})
}
