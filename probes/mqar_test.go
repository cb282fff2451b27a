package probes

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

// mqarOracle builds, by hand, a two-layer attention-only model that solves
// MQAR exactly (vocab V, n_ctx T, K pairs). The residual stream holds four
// one-hot blocks: A the token, B the previous token, C the answer, P the
// position. Layer 0 is a previous-token head (P·shift against P) copying A
// into B. Layer 1 queries with A and a constant, keys with B and a flag on
// the value positions of the pair prefix (odd positions < 2K), so a query
// key k_i scores 30 + 30 only at v_i's position (30 at most elsewhere), and
// copies that position's A into C; W_U reads C. Scores are 30 logits apart,
// so attention is one-hot to within e^−30.
func mqarOracle(t *testing.T, V, T, K int) *model.Model {
	t.Helper()
	E := V + 1
	D := 3*V + T
	A, B, C, P := 0, V, 2*V, 3*V
	m, err := model.NewInit[float32](model.Config{NLayers: 2, DModel: D, NHeads: 1, DHead: E, DVocab: V, NCtx: T,
		AttnOnly: true, PositionalEmbeddingType: "standard", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := m.Params
	clear(p.Data)
	s0 := float32(30 * math.Sqrt(float64(E))) // raw score of a match: 30 after the 1/√d_head scale
	for v := range V {
		p.WE[v*D+A+v] = 1
	}
	for pos := range T {
		p.WPos[pos*D+P+pos] = 1
	}
	l0, l1 := &p.Blocks[0], &p.Blocks[1]
	for pos := range T {
		if pos >= 1 {
			l0.WQ[(P+pos)*E+pos-1] = s0 // q_t = s0·e_{t−1}
		}
		l0.WK[(P+pos)*E+pos] = 1 // k_s = e_s
		if pos < 2*K && pos%2 == 1 {
			l1.WK[(P+pos)*E+V] = 1 // flag: a value position of the pair prefix
		}
	}
	for v := range V {
		l0.WV[(A+v)*E+v] = 1  // value: the token
		l0.WO[v*D+B+v] = 1    // written as the next position's previous token
		l1.WQ[(A+v)*E+v] = s0 // query: the current token…
		l1.WK[(B+v)*E+v] = 1  // …against each position's previous token
		l1.WV[(A+v)*E+v] = 1  // value: the token found there
		l1.WO[v*D+C+v] = 30   // written as the answer, 30 logits up
		p.WU[(C+v)*V+v] = 1   // read out
	}
	l1.BQ[V] = s0 // the constant that meets the flag
	return m
}

// TestEvalMQAROracle: a hand-built model that solves MQAR scores accuracy
// 1 with a near-zero loss; a model that always predicts one token c scores
// the frequency of c among the answers (chance), with the loss its logits
// give, exactly.
func TestEvalMQAROracle(t *testing.T) {
	t.Parallel()
	const V, T, K, n = 64, 32, 4, 96
	for _, random := range []bool{false, true} {
		task, err := tasks.NewMQAR(tasks.MQARConfig{Vocab: V, NumKVPairs: K, SeqLen: T, PowerA: 0.01, RandomNonQueries: random})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := EvalMQAR(mqarOracle(t, V, T, K), task, T, n, 3)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Accuracy != 1 || ev.Loss > 1e-6 || ev.Queries != n*K {
			t.Errorf("oracle (random fillers %v): accuracy %v, loss %v, %d queries; want 1, ≈ 0, %d", random, ev.Accuracy, ev.Loss, ev.Queries, n*K)
		}
	}

	task, err := tasks.NewMQAR(tasks.MQARConfig{Vocab: V, NumKVPairs: K, SeqLen: T, PowerA: 0.01, RandomNonQueries: true})
	if err != nil {
		t.Fatal(err)
	}
	constant := mqarOracle(t, V, T, K)
	clear(constant.Params.Data)
	const c = V/2 + 5 // a value token
	constant.Params.BU[c] = 2
	ev, err := EvalMQAR(constant, task, T, n, 3)
	if err != nil {
		t.Fatal(err)
	}
	bt := task.Sample(rand.New(rand.NewPCG(3, EvalSeedStream)), n, T)
	hits, queries := 0, 0
	for i, m := range bt.Mask {
		if m != 0 {
			queries++
			if bt.Targets[i] == c {
				hits++
			}
		}
	}
	z := float64(V-1) + math.Exp(2)
	wantLoss := (float64(hits)*(math.Log(z)-2) + float64(queries-hits)*math.Log(z)) / float64(queries)
	if ev.Accuracy != float64(hits)/float64(queries) || math.Abs(ev.Loss-wantLoss) > 1e-9 {
		t.Errorf("constant model: accuracy %v, loss %v; want %d/%d = %v (chance), %v", ev.Accuracy, ev.Loss, hits, queries,
			float64(hits)/float64(queries), wantLoss)
	}
	if hits == 0 || hits > queries/4 {
		t.Errorf("token %d answers %d of %d queries: not a chance level worth testing", c, hits, queries)
	}
}

// TestEvalMQARModel: a model of another task is evaluated on MQAR in its
// own vocabulary at n_ctx; the oracle built for 4 pairs answers 4 pairs
// perfectly; without pair counts the defaults 4, 8, 16 are tried, and 16
// pairs (64 positions) do not fit n_ctx 32: bad input, found before any
// evaluation.
func TestEvalMQARModel(t *testing.T) {
	t.Parallel()
	m := mqarOracle(t, 64, 32, 4)
	res, err := EvalMQARModel(m, "oracle", []int{4}, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	tab := res.Tables[0]
	if len(tab.Rows) != 1 || tab.Rows[0][tab.Column("accuracy")] != 1.0 || tab.Rows[0][tab.Column("seq_len")] != 32 ||
		tab.Rows[0][tab.Column("queries")] != 64 || res.Extra["config"] == nil {
		t.Errorf("oracle at 4 pairs: rows %v, extra %v", tab.Rows, res.Extra)
	}
	_, err = EvalMQARModel(m, "oracle", nil, 16, 1)
	if !badinput.Is(err) || !strings.Contains(err.Error(), "model oracle cannot be evaluated with 16 key-value pairs") {
		t.Errorf("default pairs on n_ctx 32: error %v, want bad input naming 16 pairs", err)
	}
}
