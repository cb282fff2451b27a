package attention

// HeadParams is implemented by rules that own trainable parameters per head
// (the learnable sink's key). The model stores them as one tensor per layer,
// blocks.{l}.attn.<ParamName> [H, ParamSize(E)], and calls the *Params forms
// with head h's row; a rule's plain Forward and Backward behave as with
// all-zero parameters.
type HeadParams[F Float] interface {
	Rule[F]
	// ParamName is the tensor name inside the layer ("k_sink").
	ParamName() string
	// ParamSize is the number of parameters per head for d_head E.
	ParamSize(E int) int
	// ForwardParams is Forward with the head's parameters p [ParamSize(E)].
	ForwardParams(p []F, pattern, scores []F, q, k []F, ld, T, E int)
	// BackwardParams is Backward that also accumulates dp [ParamSize(E)].
	BackwardParams(dp, p []F, dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int)
}
