package model

// ForwardFLOPs counts the floating-point operations of one causal forward
// pass over T tokens, two per multiply-add of every matrix product (the
// convention of Kaplan et al. 2020 and of the bench package):
//
//	per layer  2T·(3·d_model·H·d_head + H·d_head·d_model)   Q, K, V and O
//	           + 4·H·d_head·T(T+1)/2                         q·k and pattern·v
//	           + 4T·d_model·d_mlp                            the MLP, if any
//	unembed    2T·d_model·d_vocab
//
// Embedding lookups, LayerNorm, softmax and activations are left out
// (they are O(T·d), not products). Every layer is counted as dense causal
// attention: query i sees i+1 keys. For a KV-cache decoder that has run T
// tokens one at a time the count is the same, since the step at position
// p costs ForwardFLOPs(p+1) − ForwardFLOPs(p).
func (c Config) ForwardFLOPs(T int) float64 {
	t := float64(T)
	d, hd, V := float64(c.DModel), float64(c.NHeads*c.DHead), float64(c.DVocab)
	layer := 2*t*4*d*hd + 4*hd*t*(t+1)/2
	if c.HasMLP() {
		layer += 4 * t * d * float64(c.DMLP)
	}
	return float64(c.NLayers)*layer + 2*t*d*V
}
