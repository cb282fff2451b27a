package model

import "testing"

// TestForwardFLOPs on a hand-counted model: 2 layers, d_model 4, 2 heads
// of 2, MLP 8, vocabulary 10, T = 3.
func TestForwardFLOPs(t *testing.T) {
	c := Config{NLayers: 2, DModel: 4, NHeads: 2, DHead: 2, DMLP: 8, DVocab: 10}
	// per layer: projections 2·3·4·4·4 = 384; attention 4·4·(1+2+3) = 96;
	// MLP 4·3·4·8 = 384. Two layers 1728, unembed 2·3·4·10 = 240.
	if got := c.ForwardFLOPs(3); got != 1968 {
		t.Errorf("ForwardFLOPs(3) = %v, want 1968", got)
	}
	c.AttnOnly = true
	if got := c.ForwardFLOPs(3); got != 1968-2*384 {
		t.Errorf("attention-only: %v, want %v", got, 1968-2*384)
	}
	// The decoder's step at position p costs the difference.
	if step := c.ForwardFLOPs(4) - c.ForwardFLOPs(3); step != 2*(2*4*4*4+4*4*4)+2*4*10 {
		t.Errorf("step at position 3: %v", step)
	}
}
