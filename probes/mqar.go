package probes

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
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
	// The held-out set is drawn at once: tokens, targets and mask.
	if err := membudget.Check(fmt.Sprintf("probes: %d held-out MQAR sequences of %d tokens", n, T), membudget.Bytes(12, n, T)); err != nil {
		return MQAREval{}, err
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
			arg, _ := model.Argmax(row)
			tgt := bt.Targets[lo*T+p]
			if int32(arg) == tgt {
				correct++
			}
			loss += model.NLL(row, tgt)
			ev.Queries++
		}
	}
	ev.Accuracy = float64(correct) / float64(ev.Queries)
	ev.Loss = loss / float64(ev.Queries)
	return ev, nil
}

// EvalMQARPairs evaluates m (called name in the table) on n held-out MQAR
// sequences of cfg for each key-value pair count in kvs (EvalMQAR with
// seed): the table mqar_eval, also the headline, and per pair count the task
// spec and the hash of its held-out set for the manifest (mqar_tasks).
func EvalMQARPairs(m *model.Model, name string, cfg tasks.MQARConfig, kvs []int, n int, seed uint64) (report.Results, error) {
	t := report.NewTable("mqar_eval", "MQAR held-out accuracy of "+name,
		report.Column{Name: "model", Detail: 1}, report.Column{Name: "attention"}, report.Column{Name: "kv_pairs"}, report.Column{Name: "seq_len"},
		report.Column{Name: "vocab"}, report.Column{Name: "queries"}, report.Column{Name: "accuracy", Format: "%.3f"},
		report.Column{Name: "val_loss", Unit: "nats", Format: "%.3f"}, report.Column{Name: "eval_hash", Detail: 2})
	specs := map[string]any{}
	var kinds []string
	for l := range m.Config.NLayers {
		kinds = append(kinds, m.Config.AttentionKind(l))
	}
	for _, kv := range kvs {
		c := cfg
		c.NumKVPairs = kv
		task, err := tasks.NewMQAR(c)
		if err != nil {
			return report.Results{}, fmt.Errorf("probes: model %s cannot be evaluated with %d key-value pairs: %w", name, kv, err)
		}
		ev, err := EvalMQAR(m, task, c.SeqLen, n, seed)
		if err != nil {
			return report.Results{}, err
		}
		t.Add(name, strings.Join(kinds, ","), kv, c.SeqLen, c.Vocab, ev.Queries, ev.Accuracy, ev.Loss, ev.Hash)
		specs[strconv.Itoa(kv)] = map[string]any{"spec": task.Spec(), "eval_hash": ev.Hash}
	}
	return report.Results{Tables: []*report.Table{t}, Headline: []*report.Table{t}, Model: name,
		Extra: map[string]any{"mqar_tasks": specs}}, nil
}

// EvalMQARModel evaluates a trained model m (called name) on n held-out
// sequences (256 when n ≤ 0) of MQAR for each key-value pair count in kvs,
// with EvalMQARPairs. The task is the one m was trained on (its recorded
// spec) when m is an MQAR model, else MQAR in m's vocabulary at the longest
// even length that fits n_ctx. kvs nil means the trained pair count (4, 8
// and 16 for a model of another task). A pair count the task cannot hold is
// a *badinput.Error, found before anything runs; Extra also records m's
// config.
func EvalMQARModel(m *model.Model, name string, kvs []int, n int, seed uint64) (report.Results, error) {
	cfg := tasks.DefaultMQARConfig()
	cfg.Vocab, cfg.SeqLen = m.Config.DVocab, m.Config.NCtx-m.Config.NCtx%2
	trained := []int{4, 8, 16}
	if m.Task() == "mqar" {
		var err error
		if cfg, err = tasks.ParseMQARSpec(m.TaskSpec()); err != nil {
			return report.Results{}, fmt.Errorf("model %s: %w", name, err)
		}
		trained = []int{cfg.NumKVPairs}
	}
	if kvs == nil {
		kvs = trained
	}
	if n <= 0 {
		n = 256
	}
	for _, kv := range kvs {
		c := cfg
		c.NumKVPairs = kv
		if err := c.Validate(); err != nil {
			return report.Results{}, badinput.Errorf("model %s cannot be evaluated with %d key-value pairs: %v", name, kv, err)
		}
	}
	res, err := EvalMQARPairs(m, name, cfg, kvs, n, seed)
	if err == nil {
		res.Extra["config"] = json.RawMessage(m.Config.JSON())
	}
	return res, err
}
