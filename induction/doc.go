// Package induction scores attention heads from their attention patterns and
// per-token losses: the TransformerLens head detector (previous-token,
// duplicate-token and induction detection patterns), Olsson et al. 2022
// prefix matching, the split of loss between the two halves of a repeated
// random sequence, and the in-context learning score.
//
// Every function here is a pure metric: it takes plain row-major slices, never
// a model, never changes its inputs, and returns freshly allocated results.
// Shape errors are returned as errors prefixed "induction:"; nothing panics on
// bad input.
//
// Shape legend:
//
//	B  batch (sequences)
//	H  heads of one layer
//	T  positions (query and key)
//	L  length of one repeat in the canonical induction batch
//
// Layouts (float32, row-major, as PyTorch):
//
//	pattern  [B, H, T, T]  one layer's blocks.{l}.attn.hook_pattern (batch, head, query, key)
//	tokens   [B, T]        int32
//	loss     [B, T-1]      loss[b, t] = -log p(tokens[b, t+1] | tokens[b, :t+1])
//	detection [T, T]       one sequence's detection pattern (query, key)
//
// The canonical induction batch is [BOS, x_1..x_L, x_1..x_L] of length
// T = 2L+1: position 0 is BOS, the first repeat occupies positions 1..L and
// the second repeat positions L+1..2L.
//
// Per-sequence scores are returned as [head][sequence] so callers can report
// a spread (see Summarize) and not only a mean.
package induction
