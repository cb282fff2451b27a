package tasks

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Names are the tasks Build makes.
var Names = []string{"induction", "mqar", "text", "s2a-answer", "s2a-instructed", "s2a-regen"}

// Options name a task and the settings a user may change; zero fields take
// the task's defaults.
type Options struct {
	Task    string // one of Names
	Vocab   int    // induction, mqar: d_vocab
	SeqLen  int    // mqar: sequence length (the generator needs it)
	MinRep  int    // induction: shortest repeated string
	MaxRep  int    // induction: longest repeated string [min(40, vocab−1)]
	MaxGap  int    // induction: longest filler between a string and its repeat
	KVPairs int    // mqar: key-value pairs per sequence [4]
	// MinFacts, MaxFacts: s2a tasks, facts per row [DistractorTraining's];
	// the answerers ask every fact.
	MinFacts, MaxFacts int
	// MaxShift: s2a-answer and s2a-instructed, the most pad tokens after
	// BOS [nil: DistractorTraining's, 1].
	MaxShift *int
	Data     string // text: a UTF-8 file or folder ["": the Go standard library sources]
	BOS      bool   // text: start every window with BOSToken, a fixed first token (SinkToken)
	BOSToken int32  // with BOS: the token (SinkTokenID, byte 0, never occurs in text)
}

// Build makes the task o names and returns it with its default training
// sequence length (128 for induction and text, the generator's for mqar,
// the longest row for the distractor-recall tasks of System 2 Attention,
// which take DistractorTraining's settings).
func Build(o Options) (Task, int, error) {
	if o.BOS && o.Task != "text" {
		return nil, 0, fmt.Errorf("tasks: a fixed first token is for the text task, not %q", o.Task)
	}
	switch o.Task {
	case "induction":
		cfg := DefaultInductionConfig()
		if o.Vocab > 0 {
			cfg.Vocab = o.Vocab
		}
		if o.MinRep > 0 {
			cfg.MinRep = o.MinRep
		}
		cfg.MaxGap, cfg.MaxRep = o.MaxGap, o.MaxRep
		if cfg.MaxRep == 0 {
			cfg.MaxRep = min(40, cfg.Vocab-1)
		}
		t, err := NewInduction(cfg)
		return t, 128, err
	case "mqar":
		cfg := DefaultMQARConfig()
		if o.Vocab > 0 {
			cfg.Vocab = o.Vocab
		}
		if o.KVPairs > 0 {
			cfg.NumKVPairs = o.KVPairs
		}
		if o.SeqLen > 0 {
			cfg.SeqLen = o.SeqLen
		}
		t, err := NewMQAR(cfg)
		return t, cfg.SeqLen, err
	case "text":
		var (
			c   *TextCorpus
			err error
		)
		if o.Data != "" {
			c, err = LoadText(o.Data)
		} else {
			c, err = DefaultCorpus()
		}
		if err != nil || !o.BOS {
			return c, 128, err
		}
		st, err := NewSinkToken(c, o.BOSToken)
		return st, 128, err
	}
	if mode, ok := ParseDistractorMode(o.Task); ok {
		cfg := DistractorTraining(mode)
		if o.MinFacts > 0 {
			cfg.MinFacts = o.MinFacts
		}
		if o.MaxFacts > 0 {
			cfg.MaxFacts = o.MaxFacts
		}
		if mode != ModeRegenerate {
			cfg.Queries = cfg.MaxFacts
			if o.MaxShift != nil {
				cfg.MaxShift = *o.MaxShift
			}
		}
		t, err := NewDistractor(cfg)
		if err != nil {
			return nil, 0, err
		}
		return t, t.MaxLen(), nil
	}
	return nil, 0, fmt.Errorf("tasks: unknown task %q (known: %s)", o.Task, strings.Join(Names, ", "))
}

// Tokenizer is "bytes" for byte-level text tasks (a token is a byte) and ""
// for tasks of synthetic tokens.
func Tokenizer(t Task) string {
	if strings.TrimSuffix(t.Name(), "+sink") == "text" {
		return "bytes"
	}
	return ""
}

// ParseMQARSpec reads an MQAR generator's spec (the JSON of MQAR.Spec, as a
// model trained on it records it) back into its config.
func ParseMQARSpec(spec string) (MQARConfig, error) {
	var s struct {
		Task     string   `json:"task"`
		Vocab    int      `json:"vocab"`
		KV       int      `json:"num_kv_pairs"`
		SeqLen   int      `json:"seq_len"`
		PowerA   *float64 `json:"power_a"`
		RandomNQ *bool    `json:"random_non_queries"`
	}
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		return MQARConfig{}, fmt.Errorf("tasks: MQAR spec: %w", err)
	}
	if s.Task != "" && s.Task != "mqar" {
		return MQARConfig{}, fmt.Errorf("tasks: spec of task %q, not mqar", s.Task)
	}
	cfg := DefaultMQARConfig()
	cfg.Vocab, cfg.NumKVPairs, cfg.SeqLen = s.Vocab, s.KV, s.SeqLen
	if s.PowerA != nil {
		cfg.PowerA = *s.PowerA
	}
	if s.RandomNQ != nil {
		cfg.RandomNonQueries = *s.RandomNQ
	}
	return cfg, cfg.Validate()
}
