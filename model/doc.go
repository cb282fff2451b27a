// Package model is attnlab's transformer: a TransformerLens-layout decoder
// whose forward pass fills an activation cache keyed by TransformerLens hook
// names, whose backward pass is written by hand, layer by layer, beside the
// forward it differentiates (as in llm.c), and whose weights load from and
// save to safetensors files under TransformerLens state-dict keys.
//
// Shape legend used in every comment of this package:
//
//	B batch, T positions, D d_model, H heads, E d_head, M d_mlp, V d_vocab
//
// All tensors are row-major. Parameters, gradients and activations each live
// in one flat slice cut into named views; a Workspace holds the activations
// for one (B, T) and is reused across steps, so a training step allocates
// nothing.
//
// The numeric core is generic over float32 and float64: float32 is the
// engine (Model), float64 exists so that tests can check every gradient
// against central finite differences to 1e-4 relative error.
//
// The forward pass is TransformerLens's: pre-LayerNorm (eps 1e-5), attention
// scores scaled by 1/sqrt(d_head), causal mask, softmax (or another
// Attention rule chosen per layer), z = pattern·v, head outputs summed plus
// b_O, residual add, optional MLP, final LayerNorm, unembed.
package model
