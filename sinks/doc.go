// Package sinks measures attention sinks in a model and what a
// sink-preserving streaming cache buys (Xiao et al. 2023, Efficient
// Streaming Language Models with Attention Sinks; Gu et al. 2024, When
// Attention Sink Emerges in Language Models).
//
// The metrics are pure functions of plain row-major slices (they never
// change their inputs and return fresh results); Analyze, Stream and
// Tracker run a model to get those slices and return tables and figures
// ready for packages report and plots. HeldOut draws the held-out windows
// every measurement uses. Nothing here trains, parses flags or writes
// files; the study that trains one model per attention variant is
// studies/sinkvariants.
//
// Shape legend:
//
//	B  batch (sequences)
//	L  layers
//	H  heads of one layer
//	T  positions (query and key)
//	E  d_head
//	D  d_model
//
// Layouts (float32, row-major, as PyTorch and TransformerLens):
//
//	pattern  [B, H, T, T]  blocks.{l}.attn.hook_pattern (batch, head, query, key)
//	v        [B, T, H, E]  blocks.{l}.attn.hook_v
//	resid    [B, T, D]     blocks.{l}.hook_resid_pre
//
// Definitions used throughout (positions zero-based, as in the code):
//
//	α(l,h)     = mean over b and queries i ≥ 1 of pattern[b,h,i,0]
//	α(l,h,i)   = mean over b of pattern[b,h,i,0]            (per query position)
//	α_k(b,l,h) = 1/(n−k+1) Σ_{i=k−1}^{n−1} pattern[b,h,i,k−1] (Gu et al. 2024 §3, one-based k: the
//	             mean attention token k receives from the queries that see it, on the first n tokens)
//	Sink_k^ε   = 1/(B·L·H) Σ_b Σ_l Σ_h 1[α_k(b,l,h) > ε]   (Gu et al.'s code, compute_attention_sink:
//	             each window thresholded, then averaged; ε = 0.3, n = 64; SinkRate, the default)
//	SinkHeads  = 1/(L·H) Σ_l Σ_h 1[mean_b α_k(b,l,h) > ε]  (each head's mean thresholded; Options.Metric HeadMean)
//	massive    = max_d |resid[b,0,d]| against the other positions' (Sun et al. 2024)
//
// Heads are named L{layer}H{head}, zero-based, as in TransformerLens.
package sinks
