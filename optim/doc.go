// Package optim holds the training utilities that act on flat parameter
// vectors: the AdamW optimizer, the warmup + cosine learning-rate schedule,
// global gradient-norm clipping, a non-finite check and a progress reporter.
//
// Conventions: parameters, gradients and optimizer moments are flat
// []float32 of one length n, laid out as the model's parameter buffer.
// Arithmetic that decides a result (bias corrections, the gradient norm) is
// done in float64, element by element in index order, so the same inputs
// give bit-identical outputs whatever GOMAXPROCS is. Update and
// ClipGradNorm change their slices in place, as their PyTorch counterparts
// do; nothing else mutates its inputs.
package optim
