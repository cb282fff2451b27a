package inspect

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
)

func TestParseTokens(t *testing.T) {
	t.Parallel()
	got, err := ParseTokens(" 0,5\t9\n13 ")
	if err != nil || !slices.Equal(got, []int32{0, 5, 9, 13}) {
		t.Fatalf("ParseTokens = %v, %v", got, err)
	}
	if got, err := ParseTokens("1, 2,\n"); err != nil || !slices.Equal(got, []int32{1, 2}) {
		t.Errorf("a comma and a space, a final comma: %v, %v", got, err)
	}
	for _, bad := range []string{"1 -2", "x", "1.5", "99999999999", "1,,2", "1, ,2"} {
		if _, err := ParseTokens(bad); err == nil {
			t.Errorf("ParseTokens(%q) accepted", bad)
		}
	}
	if got := Bytes("a\n"); !slices.Equal(got, []int32{'a', '\n'}) {
		t.Errorf("Bytes = %v", got)
	}
}

func TestPredict(t *testing.T) {
	t.Parallel()
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		tokens []int32
		want   string
	}{{nil, "no tokens"}, {make([]int32, m.Config.NCtx+1), "do not fit"}, {[]int32{1, int32(m.Config.DVocab)}, "outside the vocabulary"}} {
		if _, err := Predict(ctx, m, tc.tokens, nil, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Predict(%d tokens) = %v, want %q", len(tc.tokens), err, tc.want)
		}
	}
	tokens := []int32{0, 5, 9, 13, 5, 9}
	heads := []model.HeadID{{Layer: 1, Head: 2}}
	p, err := Predict(ctx, m, tokens, []string{"blocks.0.attn.hook_z"}, heads)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Out.Cache["blocks.0.attn.hook_z"]; !ok {
		t.Error("the hook asked for is not cached")
	}
	if _, ok := p.Out.Cache[model.HookPattern(1)]; !ok {
		t.Error("the pattern of the head asked for is not cached")
	}
	if len(p.Figures) != 1 || p.Figures[0].Name != "pattern_L1H2.png" {
		t.Errorf("figures %v, want pattern_L1H2.png", p.Figures)
	}
	if len(p.Table.Rows) != len(tokens) {
		t.Fatalf("%d rows for %d tokens", len(p.Table.Rows), len(tokens))
	}
	// Every row against a softmax computed here in float64.
	V := m.Config.DVocab
	for i, row := range p.Table.Rows {
		logits := p.Out.Logits.Data[i*V : (i+1)*V]
		best, mx := 0, math.Inf(-1)
		for j, v := range logits {
			if float64(v) > mx {
				best, mx = j, float64(v)
			}
		}
		z := 0.0
		for _, v := range logits {
			z += math.Exp(float64(v) - mx)
		}
		if row[2] != best || math.Abs(row[3].(float64)-1/z) > 1e-9 {
			t.Errorf("row %d predicts %v with p %v, want %d with %v", i, row[2], row[3], best, 1/z)
		}
		if i == len(tokens)-1 {
			if row[4] != "" || row[5] != nil {
				t.Errorf("last row has a next token %v and loss %v", row[4], row[5])
			}
			continue
		}
		want := -(float64(logits[tokens[i+1]]) - mx - math.Log(z))
		if math.Abs(row[5].(float64)-want) > 1e-4 {
			t.Errorf("row %d loss %v, want −log p = %v", i, row[5], want)
		}
	}
}

func TestByteLevelTokens(t *testing.T) {
	t.Parallel()
	m, err := fixtures.Model("text-sink")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Predict(context.Background(), m, Bytes("a\nb"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if row := p.Table.Rows[1]; row[1] != `'\n'` || row[4] != "'b'" {
		t.Errorf("byte-level row %v, want the token '\\n' and next 'b'", row)
	}
}

func TestTables(t *testing.T) {
	t.Parallel()
	m, err := fixtures.Model("induction-1l")
	if err != nil {
		t.Fatal(err)
	}
	ts := Tables(m, "embedded:induction-1l")
	if len(ts) != 3 || ts[0].Name != "config" || ts[1].Name != "parameters" || ts[2].Name != "metadata" {
		t.Fatalf("tables %v", ts)
	}
	if ts[0].Rows[0][0] != "n_layers" || ts[0].Rows[0][1] != "1" {
		t.Errorf("config row %v, want n_layers 1", ts[0].Rows[0])
	}
	if len(ts[1].Rows) != len(m.Params.Tensors) {
		t.Errorf("%d parameter rows for %d tensors", len(ts[1].Rows), len(m.Params.Tensors))
	}
	for i, row := range ts[1].Rows {
		d := m.Params.Tensors[i].Data
		ss := 0.0
		for _, v := range d {
			ss += float64(v) * float64(v)
		}
		if n := row[3].(float64); math.Abs(n-math.Sqrt(ss)) > 1e-3*math.Max(1, n) || math.Abs(row[4].(float64)-n/math.Sqrt(float64(len(d)))) > 1e-12 {
			t.Errorf("%s: norm %v rms %v, want %v and norm/√%d", row[0], n, row[4], math.Sqrt(ss), len(d))
		}
	}
}
