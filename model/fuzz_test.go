package model

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/safetensors"
)

// FuzzLoad feeds arbitrary bytes through the whole header-first loading
// path (header, config, names, shapes, dtypes, memory budget, reading the
// tensors, conversion): it must return an error or a valid model, never
// panic, and never allocate by an unchecked header value.
//
// The seeds are tiny models (a few KB, so that a mutation costs
// microseconds and the fuzzer runs > 1M inputs in minutes on 2 cores) and
// every crafted case of issue 9: holes and trailing bytes, integer and BOOL
// weights, bad rotary_base, n_layers beyond the limit, options attnlab does
// not implement, NaN weights, missing and extra tensors.
//
//	go test ./model -run XXX -fuzz FuzzLoad -fuzztime 10m
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzLoadSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return // large files are TestLoadReadsHeaderFirst's; here they only slow minimisation
		}
		sf, err := safetensors.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		m, err := FromSafetensors[float32](sf, nil)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		if m.NumParams() == 0 || m.NumParams() != m.Config.NumParams() || m.Config.Validate() != nil {
			t.Fatalf("accepted an invalid model: %+v", m.Config)
		}
		if i := firstNonFinite(m.Params.Data); i >= 0 {
			t.Fatalf("accepted a non-finite parameter %s", m.Params.NameOf(i))
		}
	})
}

// maxFuzzInput bounds the inputs FuzzLoad tries: the go fuzzer minimises
// every input that finds new coverage, at a cost proportional to its size,
// and does not count those runs; larger inputs add no code paths.
const maxFuzzInput = 8 << 10

// fuzzTinyCfg is the smallest model with every kind of tensor: LN, MLP,
// learned positions (one layer: a second adds no code path, only bytes).
var fuzzTinyCfg = Config{NLayers: 1, DModel: 4, NHeads: 2, DHead: 2, DMLP: 4, DVocab: 5, NCtx: 3,
	ActFn: "gelu", NormalizationType: "LN", PositionalEmbeddingType: "standard", Seed: 1}

// tinyTensors returns cfg's parameters as raw tensors of dtype (F32, F16,
// BF16 or F64), with edit applied to each.
func tinyTensors(tb testing.TB, cfg Config, dtype string, edit func(*rawTensor)) ([]rawTensor, *Model) {
	m, err := NewInit[float32](cfg)
	if err != nil {
		tb.Fatal(err)
	}
	var ts []rawTensor
	for _, p := range m.Params.Tensors {
		var b []byte
		for _, v := range p.Data {
			switch dtype {
			case "F64":
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(v)))
			case "BF16":
				b = binary.LittleEndian.AppendUint16(b, uint16(math.Float32bits(v)>>16))
			case "F16":
				b = binary.LittleEndian.AppendUint16(b, 0x3C00) // 1.0
			default:
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
		}
		rt := rawTensor{p.Name, dtype, p.Shape, b}
		if edit != nil {
			edit(&rt)
		}
		ts = append(ts, rt)
	}
	return ts, m
}

func fuzzLoadSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	tiny := func(cfg Config, dtype string, meta map[string]string, edit func(*rawTensor)) []byte {
		ts, m := tinyTensors(tb, cfg, dtype, edit)
		md := m.Metadata()
		for k, v := range meta {
			md[k] = v
		}
		return rawFile(ts, md)
	}
	cfgJSON := func(c Config, extra string) map[string]string {
		js := string(c.JSON())
		return map[string]string{"config": js[:len(js)-1] + extra + "}"}
	}
	rot := fuzzTinyCfg
	rot.PositionalEmbeddingType, rot.RotaryDim, rot.NormalizationType, rot.ActFn = "rotary", 2, "LNPre", "relu"
	rot.Attention = []string{"learned-sink"}
	only := fuzzTinyCfg
	only.DMLP, only.AttnOnly, only.NLayers = 0, true, 2
	// The smallest model: one attention-only layer, no LayerNorm, no
	// positions (11 tensors, a 1 KB header). Most crafted cases edit it.
	bare := only
	bare.NLayers, bare.NormalizationType, bare.PositionalEmbeddingType = 1, "", "none"
	bareRot := bare
	bareRot.PositionalEmbeddingType, bareRot.RotaryDim = "rotary", 2
	good := tiny(fuzzTinyCfg, "F32", nil, nil)
	seeds = append(seeds,
		good,
		tiny(rot, "F32", nil, nil),
		tiny(only, "F32", nil, nil),
		tiny(bare, "F32", nil, nil),
		tiny(bare, "F64", nil, nil),
		tiny(bare, "BF16", nil, nil),
		tiny(bare, "F16", nil, nil),
		good[:len(good)/2],
		good[:100],
		[]byte{},
		rawFile(nil, map[string]string{"config": `{"n_layers": 1, "d_model": 4, "n_heads": 1, "d_vocab": 3, "n_ctx": 2, "attn_only": true}`}),
		// Integer and BOOL weights (item 8).
		tiny(bare, "F32", nil, func(rt *rawTensor) {
			if rt.name == "blocks.0.attn.W_Q" {
				rt.dtype = "I32"
			}
		}),
		tiny(bare, "F32", nil, func(rt *rawTensor) {
			if rt.name == "unembed.b_U" {
				rt.dtype, rt.data = "BOOL", make([]byte, 5)
			}
		}),
		// NaN weight, missing and extra tensors.
		tiny(bare, "F32", nil, func(rt *rawTensor) {
			if rt.name == "blocks.0.attn.b_O" {
				binary.LittleEndian.PutUint32(rt.data, math.Float32bits(float32(math.NaN())))
			}
		}),
		tiny(bare, "F32", nil, func(rt *rawTensor) {
			if rt.name == "embed.W_E" {
				rt.name = "embed.W_X"
			}
		}),
		// Config values (items 7 and 13) and options attnlab does not have.
		tiny(bare, "F32", map[string]string{"config": strings.Replace(string(bareRot.JSON()), `"rotary_base":10000`, `"rotary_base":-1`, 1)}, nil),
		tiny(bare, "F32", map[string]string{"config": strings.Replace(string(bareRot.JSON()), `"rotary_base":10000`, `"rotary_base":0.5`, 1)}, nil),
		tiny(bare, "F32", map[string]string{"config": strings.Replace(string(bare.JSON()), `"n_layers":1`, `"n_layers":1000000`, 1)}, nil),
		tiny(bare, "F32", cfgJSON(bare, `,"eps":1e-6`), nil),
		tiny(bare, "F32", cfgJSON(bare, `,"n_key_value_heads":1`), nil),
		tiny(bare, "F32", map[string]string{"attnlab.attention": `["no-such-kind"]`}, nil),
	)
	// Holes and trailing bytes (item 9): a valid file with 4 bytes added
	// at the end, and with 4 bytes inserted between two tensors.
	small := tiny(bare, "F32", nil, nil)
	seeds = append(seeds, append(append([]byte{}, small...), 1, 2, 3, 4))
	n := binary.LittleEndian.Uint64(small)
	gap := append([]byte{}, small[:8+n]...)
	gap = append(gap, 0, 0, 0, 0)
	seeds = append(seeds, append(gap, small[8+n:]...))
	return seeds
}

// TestFuzzLoadSeeds: every crafted seed is refused, and the valid ones
// load (so the corpus exercises both sides).
func TestFuzzLoadSeeds(t *testing.T) {
	seeds := fuzzLoadSeeds(t)
	for i, s := range seeds {
		sf, err := safetensors.NewReader(bytes.NewReader(s), int64(len(s)))
		if err == nil {
			_, err = FromSafetensors[float32](sf, nil)
		}
		valid := i < 7
		if valid != (err == nil) {
			t.Errorf("seed %d: error %v, want valid=%v", i, err, valid)
		}
		if len(s) > 3500 {
			t.Errorf("seed %d is %d bytes: keep seeds tiny so the fuzzer is fast", i, len(s))
		}
	}
}

// BenchmarkLoadFuzzSeeds times one pass of FuzzLoad's seeds through the
// loader: the cost of a fuzz execution.
func BenchmarkLoadFuzzSeeds(b *testing.B) {
	seeds := fuzzLoadSeeds(b)
	for b.Loop() {
		for _, s := range seeds {
			if sf, err := safetensors.NewReader(bytes.NewReader(s), int64(len(s))); err == nil {
				FromSafetensors[float32](sf, nil)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(seeds))/1e3, "µs/input")
}
