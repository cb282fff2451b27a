package train

import "github.com/attnlab/attnlab/model"

// ReferenceConfig is the reference training step's model, the one speed
// is stated for (BenchmarkTrainStepRef, attnlab bench --train-step): 2
// layers, attention-only, d_model 64, 4 heads (d_head 16), d_vocab 64,
// n_ctx 65, LayerNorm, learned positions.
var ReferenceConfig = model.Config{NLayers: 2, DModel: 64, NHeads: 4, DVocab: 64, NCtx: 65, AttnOnly: true,
	NormalizationType: "LN", PositionalEmbeddingType: "standard", Seed: 1}

// ReferenceBatch is the reference step's batch: 32 sequences of n_ctx tokens.
const ReferenceBatch = 32
