// Package sinkvariants is the attention-sink variant study: one model per
// attention variant — softmax, softmax1 (an extra 1 in the denominator), a
// learned sink slot, sigmoid attention, and softmax trained with a dedicated
// sink token (StreamingLLM's recipe, tasks.SinkToken) — each trained with
// the same architecture and budget on byte-level text, then measured with
// package sinks on the same held-out windows (sinks.HeldOut): first-token
// mass α, Gu et al.'s Sink_k^ε, the attention left on real keys, and the
// validation loss on the same predictions for every variant.
//
// Trained models can be cached in a folder (Options.Dir): a model trained
// for the same number of steps is loaded instead of retrained.
package sinkvariants
