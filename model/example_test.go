package model_test

import (
	"fmt"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
)

// Run a model with an activation cache, then again with every layer-1 head
// zero-ablated: the induction heads are what predicts a repeated sequence.
func ExampleTransformer_Run() {
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		panic(err)
	}
	x := []int32{7, 3, 9, 12, 5, 30, 21, 8}
	tokens := append(append([]int32{0}, x...), x...) // [BOS, x, x]
	T := len(tokens)

	out, err := m.Run(tokens, 1, T, model.RunOptions{CacheNames: []string{"blocks.1.attn.hook_pattern"}})
	if err != nil {
		panic(err)
	}
	secondHalf := func(o *model.Output) float64 {
		s := 0.0
		for t := len(x) + 1; t < T-1; t++ { // predicting x_2 … x_8 of the repeat
			s += float64(o.Losses.Data[t])
		}
		return s / float64(len(x)-1)
	}
	fmt.Println("pattern shape:", out.Cache["blocks.1.attn.hook_pattern"].Shape)
	fmt.Printf("second-repeat loss: %.1f nats\n", secondHalf(out))

	var hooks []model.Hook
	for h := range m.Config.NHeads {
		hooks = append(hooks, model.ZeroAblate("blocks.1.attn.hook_z", h))
	}
	ablated, err := m.Run(tokens, 1, T, model.RunOptions{Hooks: hooks})
	if err != nil {
		panic(err)
	}
	fmt.Printf("with layer 1 ablated: %.1f nats\n", secondHalf(ablated))
	// Output:
	// pattern shape: [1 4 17 17]
	// second-repeat loss: 0.5 nats
	// with layer 1 ablated: 4.2 nats
}
