package circuits_test

import (
	"fmt"

	"github.com/attnlab/attnlab/circuits"
)

// A head whose full OV circuit is diag(1, 1, 0, 0): it copies tokens 0 and 1.
func ExampleOVCopyingScore() {
	const V, D, E = 4, 4, 2
	id := []float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1} // W_E = W_U = I
	wV := []float32{1, 0, 0, 1, 0, 0, 0, 0}                         // [D, E]: reads e1, e2
	wO := []float32{1, 0, 0, 0, 0, 1, 0, 0}                         // [E, D]: writes e1, e2
	s, err := circuits.OVCopyingScore(id, wV, wO, id, V, D, E)
	if err != nil {
		fmt.Println(err)
		return
	}
	lift, top, _ := circuits.OVDirectCopying(id, wV, wO, id, V, D, E)
	fmt.Printf("copying %.2f, lift %.3f, top-1 fraction %.2f\n", s, lift, top)
	// Output: copying 1.00, lift 0.375, top-1 fraction 0.50
}

// A layer-0 head writes into span(e1, e2); a layer-1 head's keys read that
// subspace and its queries read span(e3, e4).
func ExampleKComposition() {
	const D, E = 4, 2
	wV0 := []float32{1, 0, 0, 1, 0, 0, 0, 0} // [D, E]
	wO0 := []float32{1, 0, 0, 0, 0, 1, 0, 0} // [E, D]
	wQ1 := []float32{0, 0, 0, 0, 1, 0, 0, 1} // [D, E]: e3, e4
	wK1 := []float32{1, 0, 0, 1, 0, 0, 0, 0} // [D, E]: e1, e2
	q, _ := circuits.QComposition(wV0, wO0, wQ1, wK1, D, E)
	k, _ := circuits.KComposition(wV0, wO0, wQ1, wK1, D, E)
	base, _ := circuits.CompositionBaseline(D, E, 1)
	fmt.Printf("Q %.3f, K %.3f, random baseline %.2f\n", q, k, base)
	// Output: Q 0.000, K 0.707, random baseline 0.46
}

func ExampleHead() {
	wV := make([]float32, 2*3*1) // [H=2, D=3, E=1]
	wV[3] = 1                    // head 1 reads e1
	h1, _ := circuits.Head(wV, 1, 3, 1)
	fmt.Println(h1)
	// Output: [1 0 0]
}
