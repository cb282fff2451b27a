// Package parity compares activations tensor by tensor: a model's run
// against a reference cache (for example one TransformerLens's
// run_with_cache wrote), or two saved caches against each other.
//
// Tensors are matched by name (TransformerLens hook names, "logits"), and
// compared element by element as torch.testing.assert_close and
// torch.allclose do:
//
//	|got − ref| ≤ atol + rtol·|ref|
//
// with NaN equal to NaN and an infinity equal only to the same infinity
// (masked attention scores are −Inf in both engines). For every tensor the
// result gives the largest and mean absolute difference, the largest and
// mean relative difference |got − ref|/|ref| (0 where both are 0, +Inf where
// only ref is), the number of elements outside the tolerance and the index
// of the worst one: the element whose difference is the largest multiple of
// its own tolerance.
//
// Nothing here reads flags or writes files; the verify command does.
package parity
