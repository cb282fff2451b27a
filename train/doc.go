// Package train fits a model to a task: AdamW with PyTorch semantics, linear
// warmup then cosine decay, global gradient-norm clipping, loss masks,
// periodic evaluation, checkpoints that survive a kill and resume bit for
// bit, and a NaN/Inf guard that names the step and the tensor.
//
// Parallelism and determinism: every batch comes from one seeded generator,
// in order; it is cut into a fixed number of work units of whole sequences
// (Options.Units, by default min(batch, 16): a function of the recipe, never
// of the machine). Each unit's forward and backward runs on its own
// workspace, on as many persistent workers as there are cores
// (GOMAXPROCS), which claim units from a shared counter; the units'
// gradients are then summed in unit order and AdamW applied, in fixed
// chunks of the parameters, on the same workers. So the same seed gives
// bit-identical weights on 1, 2 or 16 cores, and every core is busy.
package train
