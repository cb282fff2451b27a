package train

import (
	"fmt"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

// FLOPsPerToken is the floating-point work of one training step (forward
// and backward) per token of a model of config c on sequences of T tokens,
// the numerator of a step's GFLOP/s: each multiply-add of a matmul counts
// 2, the backward twice the forward's matmuls (3× in all), causal
// attention over the full T×T products (q·kᵀ and pattern·v), an MLP's two
// matmuls (d_model·d_mlp each) when present, the unembedding. Elementwise
// work (softmax, LayerNorm, AdamW) is not counted. The softmax kernels skip
// most of the masked triangle (gemm.MatMulTri), so a rate computed from
// this count is an effective one, comparable across versions and with
// PyTorch, which computes the whole product. (model.Config.ForwardFLOPs
// counts a forward pass's causal work, T(T+1)/2 pairs, instead: the work a
// model needs, where this is the work the benchmarks are compared by.)
//
// The reference step (2 layers, attention-only, d_model 64, 4 heads of 16,
// d_vocab 64, T 65) does 321,024 per token.
func FLOPsPerToken(c model.Config, T int) float64 {
	D, HE, V := float64(c.DModel), float64(c.NHeads*c.DHead), float64(c.DVocab)
	perLayer := 2*D*3*HE + 2*HE*D + 2*2*float64(T)*HE // qkv, out, scores + pattern·v
	if c.HasMLP() {
		perLayer += 2 * 2 * D * float64(c.DMLP) // W_in, W_out
	}
	return 3 * (float64(c.NLayers)*perLayer + 2*D*V)
}

// StepBatch takes one optimizer step on batch b (Opt.Batch sequences of
// Opt.SeqLen tokens): the step Run takes, without sampling, logging,
// evaluation or checkpoints. Benchmarks time it.
func (tr *Trainer) StepBatch(b tasks.Batch) (loss, gnorm float64, err error) {
	if b.B != tr.Opt.Batch || b.T != tr.Opt.SeqLen || len(b.Tokens) != b.B*b.T || len(b.Targets) != b.B*b.T {
		return 0, 0, fmt.Errorf("train: a batch of %d×%d tokens for a trainer of %d×%d", b.B, b.T, tr.Opt.Batch, tr.Opt.SeqLen)
	}
	if loss, gnorm, err = tr.step(b); err != nil {
		return 0, 0, err
	}
	tr.Step++
	tr.tokens += int64(b.B * b.T)
	return loss, gnorm, nil
}
