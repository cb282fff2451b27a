package main

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/model"
)

// bosSinkModel is a hand-built one-layer, one-head byte-level model whose
// first-token attention is known in closed form: no positions, no
// LayerNorm; every query is q = b_Q = (1, 0, 0, 0); token 7's key is
// (2c, 0, 0, 0) and every other token's key is 0 (W_K reads only
// embedding dimension 0, which only token 7 has). With d_head = 4 the
// score of a query on token 7 is q·k/√4 = c, on any other key 0, so a
// window that starts with token 7 and has no other 7 in it gives
//
//	pattern[i, 0] = e^c / (e^c + i)   (query i sees token 7 and i others)
//
// and a window without it the uniform 1/(i+1).
func bosSinkModel(t *testing.T, c float64) string {
	t.Helper()
	m, err := model.NewInit[float32](model.Config{NLayers: 1, DModel: 4, NHeads: 1, DHead: 4, DVocab: 256, NCtx: 32,
		AttnOnly: true, NormalizationType: "", PositionalEmbeddingType: "none", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	clear(m.Params.Data)
	set := func(name string, idx int, v float32) {
		p, ok := m.Params.Tensor(name)
		if !ok {
			t.Fatalf("no tensor %s", name)
		}
		p.Data[idx] = v
	}
	for tok := range 256 {
		if tok == 7 {
			set("embed.W_E", tok*4+0, 1)
		} else {
			set("embed.W_E", tok*4+1, 1)
		}
	}
	set("blocks.0.attn.b_Q", 0, 1)                // q = (1, 0, 0, 0) for every token
	set("blocks.0.attn.W_K", 0*4+0, float32(2*c)) // W_K[h=0][d=0][e=0]: k = 2c·x₀
	path := filepath.Join(t.TempDir(), "bos7.safetensors")
	m.Meta["tokenizer"] = "bytes"
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// alphaOf reads head's alpha from sink_mass.csv in dir.
func alphaOf(t *testing.T, dir, head string) float64 {
	t.Helper()
	return csvNum(t, filepath.Join(dir, "sink_mass.csv"), head, "alpha")
}

// csvNum reads column col of the row whose first field is key in the CSV
// file path.
func csvNum(t *testing.T, path, key, col string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	j := slices.Index(rows[0], col)
	if j < 0 {
		t.Fatalf("%s has no column %s: %v", path, col, rows[0])
	}
	for _, r := range rows[1:] {
		if r[0] == key {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no row %s in %s", key, path)
	return 0
}

// TestSinkAnalysisBOSHandBuilt: sink-analysis --bos 7 on the hand-built
// model gives the α of the closed form, --bos none (and the default, the
// model having no BOS of its own) the uniform α, and the output says which
// first token was used. Gu et al.'s α₁ (the first token's mean attention
// over the queries that see it, query 0 included: 1/T Σ_{i=0}^{T−1}) is
// checked against its closed form too, and with it Sink₁^0.3: every window
// is a sink sample with the BOS (α₁ ≈ 0.81), none without (α₁ = H_T/T ≈ 0.16).
func TestSinkAnalysisBOSHandBuilt(t *testing.T) {
	const c, T = 3.0, 24
	path := bosSinkModel(t, c)
	ec := math.Exp(c)
	want, uni := 0.0, 0.0
	for i := 1; i < T; i++ {
		want += ec / (ec + float64(i))
		uni += 1 / float64(i+1)
	}
	guWant, guUni := (want+1)/T, (uni+1)/T
	want /= T - 1
	uni /= T - 1
	dir := t.TempDir()
	for _, tc := range []struct {
		flags, stderr, bos string
		alpha, gu, sink    float64
	}{
		{"--bos 7", "BOS 7 (--bos)", "7", want, guWant, 1},
		{"--bos none", "none (--bos none)", "none", uni, guUni, 0},
		{"", "none (the model has no BOS", "none", uni, guUni, 0},
	} {
		out := filepath.Join(dir, strings.ReplaceAll(tc.flags+"default", " ", ""))
		code, stdout, errs := runLine(t, "sink-analysis --model "+path+" --seq-len 24 --batch 3 --gu-len 24 "+tc.flags+" --out "+out)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.flags, code, errs)
		}
		// The held-out text has no byte 7 (a control character), so no
		// other key is the sink's.
		if got := alphaOf(t, out, "L0H0"); math.Abs(got-tc.alpha) > 1e-5 {
			t.Errorf("%s: α = %.6f, want %.6f (closed form)", tc.flags, got, tc.alpha)
		}
		if got := csvNum(t, filepath.Join(out, "sink_mass.csv"), "L0H0", "gu_alpha_k1"); math.Abs(got-tc.gu) > 1e-5 {
			t.Errorf("%s: Gu α₁ = %.6f, want %.6f (closed form)", tc.flags, got, tc.gu)
		}
		if got := csvNum(t, filepath.Join(out, "sink_summary.csv"), tc.bos, "sink_k1"); got != tc.sink {
			t.Errorf("%s: Sink₁^0.3 = %v, want %v", tc.flags, got, tc.sink)
		}
		if !strings.Contains(errs, "first token: "+tc.stderr) {
			t.Errorf("%s: stderr does not say which first token: %q", tc.flags, errs)
		}
		summary, err := os.ReadFile(filepath.Join(out, "sink_summary.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if rows := strings.Split(string(summary), "\n"); !strings.HasPrefix(rows[0], "bos,") || !strings.HasPrefix(rows[1], tc.bos+",") {
			t.Errorf("%s: sink_summary.csv does not give the first token %s:\n%s", tc.flags, tc.bos, summary)
		}
		if !strings.Contains(strings.Join(strings.Fields(stdout), " "), "first token "+map[string]string{"7": "the BOS, token 7", "none": "the first byte"}[tc.bos]) {
			t.Errorf("%s: the caption does not name the first token:\n%s", tc.flags, stdout)
		}
	}
	code, _, errs := runLine(t, "sink-analysis --model "+path+" --bos 256 --out "+filepath.Join(dir, "bad"))
	if code != 2 || !strings.Contains(errs, "--bos") {
		t.Errorf("--bos 256: exit %d, %q", code, errs)
	}
	code, _, errs = runLine(t, "sink-analysis --model "+path+" --sink-metric mean --out "+filepath.Join(dir, "bad"))
	if code != 2 || !strings.Contains(errs, "--sink-metric") {
		t.Errorf("--sink-metric mean: exit %d, %q", code, errs)
	}
}
