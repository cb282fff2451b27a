// Package probes measures what attention can retrieve: softmax against
// linear attention (Katharopoulos et al. 2020; Choromanski et al. 2020;
// Arora et al. 2023, 2024).
//
//   - Analytic: no training. N random key→value associations are written
//     into softmax attention (all keys kept) and into each linear feature
//     map's fixed M×d_v state; every key is queried and decoded to its
//     nearest value code. Softmax with a sharp β retrieves far past N = d;
//     linear attention degrades as N approaches its feature dimension.
//   - MQAR grid: tiny two-layer transformers trained with the same budget
//     on Zoology's multi-query associative recall (tasks.MQAR), one cell per
//     attention kind × d_model × key-value pairs × seed, evaluated on
//     held-out sequences. Grids split into shards (Shard) so cells can run on
//     different machines; MergeTables joins the shard tables.
//   - Scaling: wall time of one head's causal attention against sequence
//     length N, for dense softmax (the engine's pattern then pattern·v),
//     linear attention in the same quadratic form, and its O(N) recurrent
//     form, with the fitted log–log slopes.
//
// Analyses return report tables and plots values; they never parse flags
// or write files. Every random draw comes from Seed, so results do not
// depend on GOMAXPROCS (cells run in parallel but each has its own
// generator).
//
// Shape legend: N associations or positions, d key dimension, d_v value
// dimension, M feature dimension, E d_head.
package probes
