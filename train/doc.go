// Package train fits a model to a task: AdamW with PyTorch semantics, linear
// warmup then cosine decay, global gradient-norm clipping, loss masks,
// periodic evaluation, checkpoints that survive a kill and resume bit for
// bit, and a NaN/Inf guard that names the step and the tensor.
//
// Determinism: every batch comes from one seeded generator, in order; the
// batch is split into a fixed number of shards (Options.Shards, not the
// number of cores), each shard's gradient is computed by its own workspace,
// possibly in parallel, and the shards are summed in shard order. So the
// same seed gives bit-identical weights for any GOMAXPROCS.
package train
