package membudget_test

import (
	"fmt"

	"github.com/attnlab/attnlab/internal/membudget"
)

// An analysis estimates the buffers a batch needs from its shapes and
// refuses, in one sentence, before allocating any of them.
func Example() {
	membudget.SetLimit(8<<30, "--memory-limit 8GiB") // a command's flag
	defer membudget.SetLimit(0, "")

	batch, T, D, H := 100_000_000, 101, 64, 4
	var est membudget.Estimate
	est.Add(4, batch, T, D)    // float32 residual stream [B, T, D]
	est.Add(4, batch, H, T, T) // float32 attention patterns [B, H, T, T]
	if err := est.Check(fmt.Sprintf("an analysis batch of %d sequences", batch)); err != nil {
		fmt.Println(err)
	}
	// Output:
	// an analysis batch of 100000000 sequences needs an estimated 21.5 TiB of memory, more than the limit of 8.0 GiB (set by --memory-limit 8GiB)
}
