package optim_test

import (
	"fmt"

	"github.com/attnlab/attnlab/optim"
)

func ExampleAdamW() {
	params := []float32{1, -2}
	grads := []float32{0.5, -1}
	decay := []float32{1, 0} // decay the weight, not the bias
	o := optim.NewAdamW(len(params), 0.1, 0.5)
	for step := range 3 {
		lr := optim.Schedule(step, 1, 3, 0.1, 0.01)
		o.Update(params, grads, decay, lr)
		fmt.Printf("step %d lr %.3f params %.4f\n", o.Step, lr, params)
	}
	// Output:
	// step 1 lr 0.100 params [0.8500 -1.9000]
	// step 2 lr 0.100 params [0.7075 -1.8000]
	// step 3 lr 0.010 params [0.6940 -1.7900]
}
