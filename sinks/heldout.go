package sinks

import (
	"fmt"
	"math/rand/v2"

	"github.com/attnlab/attnlab/tasks"
)

// HeldOutStream is the PCG stream of the held-out windows HeldOut draws
// (training draws from other streams).
const HeldOutStream = 0x5171

// HeldOut draws B held-out windows of T tokens, [B, T], from the corpus's
// validation split with PCG(seed, HeldOutStream): each window is T
// consecutive bytes at a uniform offset. With sinkToken (a model trained
// with tasks.SinkToken) each row is tasks.SinkTokenID followed by the
// window's first T−1 bytes, exactly the validation batch of that task, so
// a model with a sink token and one without see the same text. It is the
// one source of held-out windows for sink-analysis and the variant study.
func HeldOut(corpus *tasks.TextCorpus, B, T int, sinkToken bool, seed uint64) ([]int32, error) {
	if B < 1 || T < 2 {
		return nil, fmt.Errorf("sinks: held-out windows need B ≥ 1 and T ≥ 2, got B = %d, T = %d", B, T)
	}
	if err := tasks.CheckShape(corpus, B, T-1); err != nil {
		return nil, err
	}
	// Windows of T−1 positions carry T bytes: their tokens and, as the
	// last target, the T-th byte.
	b := corpus.ValSample(rand.New(rand.NewPCG(seed, HeldOutStream)), B, T-1)
	toks := make([]int32, 0, B*T)
	for i := range B {
		row, tgt, _ := b.Row(i)
		if sinkToken {
			toks = append(append(toks, tasks.SinkTokenID), row...)
		} else {
			toks = append(append(toks, row...), tgt[T-2])
		}
	}
	return toks, nil
}

// HeldOutStreams returns n consecutive stretches of N tokens of the
// corpus's validation split, for streaming evaluation; with sinkToken each
// starts with tasks.SinkTokenID followed by its first N−1 bytes.
func HeldOutStreams(corpus *tasks.TextCorpus, n, N int, sinkToken bool) ([][]int32, error) {
	if n < 1 || N < 2 {
		return nil, fmt.Errorf("sinks: streams need n ≥ 1 and N ≥ 2 tokens each, got n = %d, N = %d", n, N)
	}
	text := corpus.Stream(tasks.Val, n*N)
	if len(text) < n*N {
		return nil, fmt.Errorf("sinks: the held-out text has %d bytes, fewer than %d streams × %d tokens = %d", len(text), n, N, n*N)
	}
	var streams [][]int32
	for i := range n {
		s := text[i*N : (i+1)*N]
		if sinkToken {
			s = append([]int32{tasks.SinkTokenID}, s[:N-1]...)
		}
		streams = append(streams, s)
	}
	return streams, nil
}
