// Package ring is Ring Attention (Liu, Zaharia and Abbeel 2023, "Ring
// Attention with Blockwise Transformers for Near-Infinite Context"): exact
// causal softmax attention of one head over a sequence too long for one
// host, computed by P hosts in a ring.
//
// Host p holds the queries, keys and values of its own positions. In each
// of P steps it computes its queries against the key/value block it holds
// (package attention's blockwise kernel, which returns a log-sum-exp),
// merges the partial result into its running one, and passes the block on
// to the next host while receiving the next block from the previous one —
// the transfer runs beside the computation (double buffering), so it costs
// nothing when a block's computation outlasts its transfer. The backward
// pass sends each block round again with its dK/dV accumulator.
//
// Layouts decide which positions a host holds. Under a causal mask the
// naive contiguous layout leaves host p with p+1 of the P blocks to compute
// (imbalance 2P/(P+1) in blocks); zigzag (two chunks, one early and one
// late) and stripe (every P-th position) balance the work, as in
// ring-flash-attention (zhuzilin/ring-flash-attention) and Striped
// Attention (Brandon et al. 2023). The layout helpers — Positions, Owner,
// Shard, Visible, Work, Imbalance — are usable on their own, for sharding a
// sequence elsewhere.
//
// The hosts talk through ringnet.Link: goroutines joined by channels, or
// processes joined by TCP on one machine or many. Forward and Backward
// are the same code above either, and every host sums in a fixed order,
// so the results are bit-identical across transports and timings.
//
// Shape legend: N positions, P hosts, n = the host's positions, E d_head.
// Tensors are row-major float32, a host's rows in ascending position order:
// q, k, v, out, dout and the gradients [n, E], lse [n]. Nothing here
// changes its inputs. The plain reference (ReferenceForward,
// ReferenceBackward) is dense causal attention in float64.
package ring
