package model

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Keys of Meta, attnlab's own metadata. A file stores each under
// "attnlab.<key>" beside TransformerLens's "config" (see Metadata); a state
// dict without them loads with an empty Meta. Read and write them through
// the accessors below, not by key.
const (
	MetaTask        = "task"         // the training task's name: "induction", "mqar", "text", "text+sink"
	MetaTaskSpec    = "task_spec"    // the task's generator spec as JSON (tasks.Task.Spec): enough to draw its data again
	MetaTokenizer   = "tokenizer"    // "bytes" for byte-level text models (token = byte); empty for synthetic-token tasks
	MetaTrainedWith = "trained_with" // the attnlab train command line that regenerates the file
	MetaSteps       = "steps"        // optimizer steps taken
)

// sinkSuffix marks the task of a model trained with a dedicated sink token
// at the start of every window (tasks.SinkToken).
const sinkSuffix = "+sink"

// Task is the name of the task the model was trained on ("" when unknown).
func (m *Transformer[F]) Task() string { return m.Meta[MetaTask] }

// TaskSpec is the training task's spec as JSON ("" when unknown).
func (m *Transformer[F]) TaskSpec() string { return m.Meta[MetaTaskSpec] }

// Tokenizer is "bytes" for a byte-level text model and "" otherwise.
func (m *Transformer[F]) Tokenizer() string { return m.Meta[MetaTokenizer] }

// ByteLevel reports whether tokens are bytes (Tokenizer "bytes").
func (m *Transformer[F]) ByteLevel() bool { return m.Tokenizer() == "bytes" }

// SinkToken returns the dedicated sink token of a model trained with one
// at the start of every window (task "<name>+sink"; the id is the task
// spec's sink_token, 0 when the spec does not say), and whether it has one.
// Such a model expects every sequence to start with it.
func (m *Transformer[F]) SinkToken() (tok int32, ok bool) {
	if !strings.HasSuffix(m.Task(), sinkSuffix) {
		return 0, false
	}
	var spec struct {
		SinkToken int32 `json:"sink_token"`
	}
	if s := m.TaskSpec(); s != "" {
		_ = json.Unmarshal([]byte(s), &spec) // a malformed spec leaves the default, byte 0
	}
	return spec.SinkToken, true
}

// SetTask records the training task: its name, its spec (marshalled to
// JSON) and the tokenizer ("bytes" or "").
func (m *Transformer[F]) SetTask(name string, spec map[string]any, tokenizer string) error {
	b, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("model: task spec of %s: %w", name, err)
	}
	m.Meta[MetaTask], m.Meta[MetaTaskSpec], m.Meta[MetaTokenizer] = name, string(b), tokenizer
	return nil
}
