// Package inspect shows a model and what it computes on one sequence: its
// config, parameters (shapes, norms) and metadata as tables (attnlab
// inspect), and, for a sequence of tokens, the next-token prediction at
// every position with its probability and loss and the attention patterns
// of chosen heads (attnlab run), read from a Source (token ids, a file of
// them, or text).
//
// It is an analysis: a model and inputs in, tables and figures out; it
// never trains, reads flags or writes files. Byte-level models show their
// tokens as characters ('a', '\n'), others as ids.
package inspect
