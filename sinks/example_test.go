package sinks_test

import (
	"fmt"

	"github.com/attnlab/attnlab/sinks"
)

// A single head over T = 3 positions whose queries 1 and 2 put 0.8 of
// their attention on the first token: α = 0.8, a sink head at ε = 0.3.
func ExampleFirstTokenMass() {
	pattern := []float32{
		1.0, 0, 0,
		0.8, 0.2, 0,
		0.8, 0.1, 0.1,
	}
	alpha, byPos, _ := sinks.FirstTokenMass(pattern, 1, 1, 3)
	gu, _ := sinks.GuAlphaSamples(pattern, 1, 1, 3, 1, 3)
	fmt.Printf("α = %.2f, by position %.1f, Gu α_1 = %.3f, Sink_1^0.3 = %.0f\n",
		alpha[0], byPos[0], gu[0][0], sinks.SinkRate([][][]float64{gu}, 0.3))
	// Output: α = 0.80, by position [1.0 0.8 0.8], Gu α_1 = 0.867, Sink_1^0.3 = 1
}
