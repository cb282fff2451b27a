package model

import "github.com/attnlab/attnlab/attention"

// Attention is one layer's attention rule (see package attention).
type Attention[F Float] = attention.Rule[F]

func newAttention[F Float](kind string) (Attention[F], error) { return attention.New[F](kind) }

// AttentionKinds lists the attention rules the engine knows.
func AttentionKinds() []string { return attention.Kinds() }
