// Package tasks generates the training and evaluation data of attnlab:
// repeated random tokens for induction heads, multi-query associative recall
// (MQAR, Zoology), byte-level text corpora, and distractor recall for System
// 2 Attention (Distractor: facts, opinions that contradict the queried
// fact, irrelevant pairs, at an exact distractor rate).
//
// Shapes: B batch, T positions. A Batch holds row-major [B, T] slices:
// Tokens are the inputs, Targets[b, t] is the token the model should predict
// at position t (usually Tokens[b, t+1]), −1 where there is none, and Mask is
// 1 where the loss counts and 0 elsewhere. Mask is 1 only where Targets ≥ 0.
//
// Determinism: every generator draws only from the *rand.Rand it is given,
// in a fixed order, on the calling goroutine, so a math/rand/v2 generator
// seeded the same way (rand.New(rand.NewPCG(seed, stream))) gives the same
// batch whatever GOMAXPROCS is. Generators never keep state between calls.
package tasks
