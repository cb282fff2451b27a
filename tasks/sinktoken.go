package tasks

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/attnlab/attnlab/internal/badinput"
)

// SinkTokenID is the dedicated sink token of byte-level text models: byte
// 0, which never occurs in the corpus. A model trained with it records the
// task "text+sink" in its metadata.
const SinkTokenID int32 = 0

// ParseBOS reads a fixed first token: "" (not given) and "none" are none,
// anything else a token id in [0, vocab). It returns the token and whether
// there is one; its error is a *badinput.Setting naming bos.
func ParseBOS(s string, vocab int) (tok int32, ok bool, err error) {
	switch s {
	case "", "none":
		return 0, false, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v >= vocab {
		return 0, false, badinput.Settingf("{bos} must be a token id in [0, %d) or none, got %q", vocab, s)
	}
	return int32(v), true, nil
}

// SinkToken wraps a task so that every sequence starts with one dedicated
// sink token, StreamingLLM's pre-training recipe (Xiao et al. 2023 §3.3: "a
// learnable placeholder token" at the start of every training sample), so
// a streaming cache needs to keep only that one token.
//
// A batch of T positions is [sink, x_0 … x_{T−2}]: the inner task's batch of
// T−1 positions shifted right by one. Position 0 predicts x_0 (its target and
// mask are the inner task's first ones); the sink token itself is never a
// target.
type SinkToken struct {
	Inner Task
	Token int32 // the sink token's id, inside the inner vocabulary (byte 0 for text: it never occurs)
}

// NewSinkToken wraps inner with sink token tok.
func NewSinkToken(inner Task, tok int32) (*SinkToken, error) {
	if tok < 0 || int(tok) >= inner.Vocab() {
		return nil, fmt.Errorf("tasks: sink token %d is outside %s's vocabulary [0, %d)", tok, inner.Name(), inner.Vocab())
	}
	return &SinkToken{Inner: inner, Token: tok}, nil
}

// Name is the inner task's name with "+sink".
func (s *SinkToken) Name() string { return s.Inner.Name() + "+sink" }

// Vocab is the inner task's.
func (s *SinkToken) Vocab() int { return s.Inner.Vocab() }

// CheckShape needs T ≥ 2 and the inner task to fill T−1 positions.
func (s *SinkToken) CheckShape(b, t int) error {
	if t < 2 {
		return fmt.Errorf("tasks: %s needs T ≥ 2 (the sink and one token), got %d", s.Name(), t)
	}
	return CheckShape(s.Inner, b, t-1)
}

// Sample draws the inner batch of T−1 positions and prepends the sink.
func (s *SinkToken) Sample(r *rand.Rand, b, t int) Batch { return s.wrap(s.Inner.Sample(r, b, t-1)) }

// ValSample is Sample on the inner task's held-out split (Sample when it
// has none).
func (s *SinkToken) ValSample(r *rand.Rand, b, t int) Batch {
	if v, ok := s.Inner.(interface {
		ValSample(r *rand.Rand, b, t int) Batch
	}); ok {
		return s.wrap(v.ValSample(r, b, t-1))
	}
	return s.Sample(r, b, t)
}

func (s *SinkToken) wrap(in Batch) Batch {
	out := NewBatch(in.B, in.T+1)
	for row := range in.B {
		tok, tgt, mask := out.Row(row)
		itok, itgt, imask := in.Row(row)
		tok[0] = s.Token
		copy(tok[1:], itok)
		if in.T > 0 {
			tgt[0], mask[0] = itok[0], imask[0]
		}
		copy(tgt[1:], itgt)
		copy(mask[1:], imask)
	}
	return out
}

// Spec is the inner spec with the sink token recorded.
func (s *SinkToken) Spec() map[string]any {
	spec := map[string]any{}
	for k, v := range s.Inner.Spec() {
		spec[k] = v
	}
	spec["task"] = s.Name()
	spec["sink_token"] = s.Token
	return spec
}
