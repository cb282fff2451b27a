// Package probes measures what attention can retrieve: softmax against
// linear attention (Katharopoulos et al. 2020; Choromanski et al. 2020;
// Arora et al. 2023, 2024), and what distractors in a context do to it.
//
//   - Analytic: no training. N random key→value associations are written
//     into softmax attention (all keys kept) and into each linear feature
//     map's fixed M×d_v state; every key is queried and decoded to its
//     nearest value code. Softmax with a sharp β retrieves far past N = d;
//     linear attention degrades as N approaches its feature dimension.
//   - EvalMQAR: held-out accuracy and loss of a model on Zoology's
//     multi-query associative recall (tasks.MQAR) at the query positions.
//     The trained grid that uses it is the study in studies/mqar;
//     EvalMQARModel evaluates a trained model on the task it was trained
//     on (or on MQAR in its vocabulary) at chosen key-value pair counts.
//   - S2A (EvaluateS2A): System 2 Attention (Weston and Sukhbaatar 2023)
//     on distractor recall (tasks.Distractor): an answerer, an instructed
//     answerer and a regenerator answer each context under baseline,
//     oracle, s2a, s2a-keeporig and instructed conditions; accuracy with
//     bootstrap intervals, the attention mass of the retrieval heads on
//     distractor tokens, the regenerator's errors and the compute. The
//     training is the study in studies/s2a.
//   - Scaling: wall time of one head's causal attention against sequence
//     length N, for dense softmax (the engine's pattern then pattern·v),
//     linear attention in the same quadratic form, and its O(N) recurrent
//     form, with the fitted log–log slopes.
//
// Analyses return report tables and plots values; they never train, parse
// flags or write files. Every random draw comes from a seed, so results do
// not depend on GOMAXPROCS.
//
// Shape legend: N associations or positions, d key dimension, d_v value
// dimension, M feature dimension, E d_head.
package probes
