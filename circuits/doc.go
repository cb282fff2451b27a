// Package circuits analyses attention heads from their weights alone
// (Elhage et al. 2021, A Mathematical Framework for Transformer Circuits):
// the OV and QK circuits of a head, Q-, K- and V-composition scores between
// heads of successive layers with a random-matrix baseline, the OV copying
// eigenvalue score, and the direct logit copying of a head's full OV circuit.
//
// Weights use the TransformerLens layout and its row-vector convention
// (a residual vector x is a row; a head reads x·W_V and writes x·W_V·W_O):
//
//	W_E          [V, D]     embed.W_E
//	W_U          [D, V]     unembed.W_U
//	W_Q W_K W_V  [H, D, E]  blocks.{l}.attn.W_Q|W_K|W_V
//	W_O          [H, E, D]  blocks.{l}.attn.W_O
//
// with the shape legend V d_vocab, D d_model, H n_heads, E d_head. Functions
// take one head's weights (cut with Head) as float32 row-major slices, never
// modify them, and compute in float64 with gonum/mat. Shape errors are
// returned as errors prefixed "circuits:".
//
// A head's circuits, as TransformerLens's FactoredMatrix properties:
//
//	W_OV = W_V · W_O     [D, D]  (model.OV = FactoredMatrix(W_V, W_O))
//	W_QK = W_Q · W_Kᵀ    [D, D]  (model.QK = FactoredMatrix(W_Q, W_K.T)); score(x_q, x_k) = x_q W_QK x_kᵀ
//
// Elhage et al. write W_OV = W_O W_V for column vectors; that is the
// transpose of the matrix here and gives the same norms and eigenvalues.
package circuits
