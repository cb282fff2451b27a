// Package attention holds attnlab's attention rules: how one head turns its
// queries and keys into an attention pattern. Each rule has a plain
// reference form that tests compare the fast form against, and a backward
// pass checked against finite differences.
//
// A Rule works on one sequence and one head at a time. The model computes
// q, k, v, calls Forward for the pattern, then z = pattern·v itself; in the
// backward pass it computes dpattern = dz·vᵀ and calls Backward for dq, dk.
// So adding a rule (softmax1, sigmoid, a sliding window, linear attention in
// its masked quadratic form) means adding a type here and registering its
// name in New: the model code does not change.
//
// Blockwise attention (flash.go) computes the attention output itself,
// without a pattern: BlockForward runs FlashAttention's online softmax over
// tiles of queries and keys at arbitrary positions (key j visible to query i
// iff kpos[j] ≤ qpos[i]) and returns the log-sum-exp of each row, so that
// results over separate key blocks merge exactly (MergeLSE; the ring builds
// on this); BlockBackward is FlashAttention-2's backward from the final
// log-sum-exp. FlashForward and FlashBackward run a whole causal sequence.
//
// Linear attention has three forms with the same output: the masked
// quadratic form the Rule computes (Linear), the O(N) recurrence
// (Linear.Recurrent, LinearState for token-by-token decoding) and the
// chunkwise-parallel form (LinearChunked: intra-chunk masked products on the
// matmul kernels, the state carried from chunk to chunk, forward and
// backward, float32), which is the fast one past a few hundred tokens.
//
// Sparse attention (sparse.go): Sparse is one head's Longformer pattern
// (sliding window, dilation, global tokens) or BigBird block-sparse
// pattern, with Visible as its definition. Its Forward and Backward are
// the blockwise kernel restricted to the visible tiles — O(T·w) time and
// O(T·E) memory, no T×T matrix — and equal masked dense attention.
// ParseSparse reads the kinds ("window:16", "window:8:d1,2,4,8",
// "window:16:g4", "block-sparse:16"); as engine rules (SparseRule) they
// give the model its [T, T] pattern with the hidden entries at 0, per head
// where the pattern differs between heads (PerHead). Rules that can skip
// the pattern altogether (softmax, the sparse kinds) implement Fused, the
// model's fast path for long sequences.
//
// Shape legend: T positions, E d_head. Matrices are row-major; q, k and the
// gradients dq, dk are [T, E] views with a row stride (ld) because the model
// keeps every head of q, k and v in one buffer. Patterns are [T, T] dense,
// query × key, zero above the diagonal (causal).
package attention
