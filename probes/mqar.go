package probes

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

// MQAREval is the result of EvalMQAR.
type MQAREval struct {
	Accuracy float64 // fraction of query positions whose argmax logit is the value
	Loss     float64 // mean cross-entropy at query positions (nats)
	Queries  int
	Hash     string // tasks.Hash of the evaluation batch
}

// EvalSeedStream is the PCG stream of held-out MQAR sequences; training
// draws from other streams (train uses 0xda7a and 0x7a1), so held-out
// sequences are never trained on except by chance collision.
const EvalSeedStream = 0xe7a1

// EvalMQAR evaluates m on n held-out sequences of length T drawn from task
// with PCG(seed, EvalSeedStream). The batch is checked with task.Check
// (no key-value pair overwritten) before it is used.
func EvalMQAR(m *model.Model, task *tasks.MQAR, T, n int, seed uint64) (MQAREval, error) {
	if err := task.CheckShape(n, T); err != nil {
		return MQAREval{}, err
	}
	if T > m.Config.NCtx {
		return MQAREval{}, fmt.Errorf("probes: MQAR sequences of %d tokens exceed the model's n_ctx %d", T, m.Config.NCtx)
	}
	if task.Vocab() > m.Config.DVocab {
		return MQAREval{}, fmt.Errorf("probes: MQAR vocabulary %d exceeds the model's d_vocab %d", task.Vocab(), m.Config.DVocab)
	}
	bt := task.Sample(rand.New(rand.NewPCG(seed, EvalSeedStream)), n, T)
	if err := task.Check(bt); err != nil {
		return MQAREval{}, err
	}
	ev := MQAREval{Hash: tasks.Hash(bt)}
	const chunk = 64
	V := m.Config.DVocab
	loss := 0.0
	correct := 0
	for lo := 0; lo < n; lo += chunk {
		b := min(chunk, n-lo)
		out, err := m.Run(bt.Tokens[lo*T:(lo+b)*T], b, T, model.RunOptions{})
		if err != nil {
			return MQAREval{}, err
		}
		for p := range b * T {
			if bt.Mask[lo*T+p] == 0 {
				continue
			}
			row := out.Logits.Data[p*V : (p+1)*V]
			arg := 0
			for v, x := range row {
				if x > row[arg] {
					arg = v
				}
			}
			tgt := bt.Targets[lo*T+p]
			if int32(arg) == tgt {
				correct++
			}
			loss += logSumExp(row) - float64(row[tgt])
			ev.Queries++
		}
	}
	ev.Accuracy = float64(correct) / float64(ev.Queries)
	ev.Loss = loss / float64(ev.Queries)
	return ev, nil
}

func logSumExp(x []float32) float64 {
	mx := float64(x[0])
	for _, v := range x {
		mx = max(mx, float64(v))
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}
