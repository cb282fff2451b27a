package sinks

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

// BOS is the token put in front of every held-out window and stream, as
// TransformerLens's prepend_bos does: a model trained with a fixed first
// token (train --bos, tasks.SinkToken) expects it. The zero value is none.
type BOS struct {
	Token int32
	On    bool
}

// NewBOS is the BOS token tok.
func NewBOS(tok int32) BOS { return BOS{Token: tok, On: true} }

// String is the token id, or "none".
func (b BOS) String() string {
	if !b.On {
		return "none"
	}
	return strconv.Itoa(int(b.Token))
}

// ChooseBOS is the first token of every window and stream for m: s when
// given (a token id below d_vocab, or "none"), else the model's own
// (m.SinkToken: it was trained with it), else none. Its error is a
// *badinput.Setting naming bos.
func ChooseBOS(m *model.Model, s string) (BOS, error) {
	if s == "" {
		if tok, ok := m.SinkToken(); ok {
			return NewBOS(tok), nil
		}
		return BOS{}, nil
	}
	tok, ok, err := tasks.ParseBOS(s, m.Config.DVocab)
	if err != nil || !ok {
		return BOS{}, err
	}
	return NewBOS(tok), nil
}

// HeldOutStream is the PCG stream of the held-out windows HeldOut draws
// (training draws from other streams).
const HeldOutStream = 0x5171

// HeldOut draws B held-out windows of T tokens, [B, T], from the corpus's
// validation split with PCG(seed, HeldOutStream): each window is T
// consecutive bytes at a uniform offset. With a BOS each row is the BOS
// followed by the window's first T−1 bytes, exactly the validation batch
// of a model trained with that first token (tasks.SinkToken), so runs with
// and without a BOS see the same text from the same byte on. It is the one
// source of held-out windows for sink-analysis and the variant study.
func HeldOut(corpus *tasks.TextCorpus, B, T int, bos BOS, seed uint64) ([]int32, error) {
	if B < 1 || T < 2 {
		return nil, fmt.Errorf("sinks: held-out windows need B ≥ 1 and T ≥ 2, got B = %d, T = %d", B, T)
	}
	var est membudget.Estimate
	est.Add(4*4, B, T) // the validation batch (tokens, targets, mask) and the windows
	if err := est.Check(fmt.Sprintf("a batch of %d held-out windows of %d tokens", B, T)); err != nil {
		return nil, fmt.Errorf("sinks: %w", err)
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
		if bos.On {
			toks = append(append(toks, bos.Token), row...)
		} else {
			toks = append(append(toks, row...), tgt[T-2])
		}
	}
	return toks, nil
}

// HeldOutStreams returns n consecutive stretches of N tokens of the
// corpus's validation split, for streaming evaluation; with a BOS each
// starts with it, followed by its first N−1 bytes.
func HeldOutStreams(corpus *tasks.TextCorpus, n, N int, bos BOS) ([][]int32, error) {
	if n < 1 || N < 2 {
		return nil, fmt.Errorf("sinks: streams need n ≥ 1 and N ≥ 2 tokens each, got n = %d, N = %d", n, N)
	}
	if avail := corpus.Len(tasks.Val); N > avail || n > avail/N {
		return nil, fmt.Errorf("sinks: the held-out text has %d bytes, fewer than %d streams × %d tokens", avail, n, N)
	}
	text := corpus.Stream(tasks.Val, n*N)
	if len(text) < n*N {
		return nil, fmt.Errorf("sinks: the held-out text has %d bytes, fewer than %d streams × %d tokens = %d", len(text), n, N, n*N)
	}
	var streams [][]int32
	for i := range n {
		s := text[i*N : (i+1)*N]
		if bos.On {
			s = append([]int32{bos.Token}, s[:N-1]...)
		}
		streams = append(streams, s)
	}
	return streams, nil
}
