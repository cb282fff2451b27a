package tasks_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/attnlab/attnlab/tasks"
)

func ExampleCanonical() {
	r := rand.New(rand.NewPCG(1, 1))
	b := tasks.Canonical(r, 1, 4, 10)
	lo, hi := tasks.CanonicalSecond(4)
	fmt.Println(b.T, b.Tokens[0], b.Tokens[1:5], b.Tokens[5:9], lo, hi)
	// Output: 9 0 [9 1 8 9] [9 1 8 9] 5 9
}

func ExampleMQAR() {
	m, err := tasks.NewMQAR(tasks.MQARConfig{Vocab: 64, NumKVPairs: 2, SeqLen: 16, PowerA: 0.01})
	if err != nil {
		fmt.Println(err)
		return
	}
	b := m.Sample(rand.New(rand.NewPCG(1, 1)), 1, 16)
	fmt.Println(b.Tokens)
	fmt.Println(b.Targets)
	fmt.Println(m.Check(b))
	// Output:
	// [31 44 5 61 0 0 31 0 0 0 0 0 0 0 5 0]
	// [-1 -1 -1 -1 -1 -1 44 -1 -1 -1 -1 -1 -1 -1 61 -1]
	// <nil>
}
