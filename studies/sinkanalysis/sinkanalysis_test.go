package sinkanalysis

import (
	"context"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/sinks"
	"github.com/attnlab/attnlab/tasks"
)

// TestRun: the analysis of the embedded sink-token model on two windows,
// with streaming on two short streams: the analysis's and the streaming
// tables, pattern views, the manifest entries, and the log line; the
// same seed gives the same analysis tables.
func TestRun(t *testing.T) {
	t.Parallel()
	m, err := fixtures.Model("text-sink")
	if err != nil {
		t.Fatal(err)
	}
	corpus, err := tasks.DefaultCorpus()
	if err != nil {
		t.Fatal(err)
	}
	tok, ok := m.SinkToken()
	if !ok {
		t.Fatal("text-sink has no sink token")
	}
	run := func(log *strings.Builder) (names []string, csv string, extra map[string]any, patterns int) {
		o := Options{Corpus: corpus, Batch: 2, SeqLen: 32, Seed: 3, Sinks: sinks.Options{Eps: 0.3, K: 1, GuLen: 32, BOS: sinks.NewBOS(tok)},
			Streaming: &Streaming{Streams: 1, Len: 48, Window: 16, Sweep: []int{8, 16}}}
		if log != nil {
			o.Log = log
		}
		r, err := Run(context.Background(), m, "embedded:text-sink", o)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, tab := range r.Tables {
			names = append(names, tab.Name)
			if strings.HasPrefix(tab.Name, "streaming") {
				continue // it times the policies
			}
			if err := tab.WriteCSV(&b); err != nil {
				t.Fatal(err)
			}
		}
		return names, b.String(), r.Extra, len(r.Patterns)
	}
	var log strings.Builder
	names, csv, extra, patterns := run(&log)
	if !strings.Contains(strings.Join(names, ","), "streaming") || patterns == 0 || extra["seq_len"] != 32 || extra["batch"] != 2 || extra["bos"] != sinks.NewBOS(tok).String() {
		t.Errorf("tables %v, %d pattern views, extra %v", names, patterns, extra)
	}
	if !strings.Contains(log.String(), "streaming: 1 streams of 48 tokens, cache 16, sweep [8 16]") {
		t.Errorf("log %q", log.String())
	}
	if _, again, _, _ := run(nil); again != csv {
		a, b := strings.Split(csv, "\n"), strings.Split(again, "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Errorf("the same seed gave different tables: %q vs %q", a[i], b[i])
				break
			}
		}
	}
}

// TestValidate: the defaults that depend on the model are filled in, and
// settings the model cannot take are bad input naming the settings.
func TestValidate(t *testing.T) {
	t.Parallel()
	m, err := fixtures.Model("text-sink")
	if err != nil {
		t.Fatal(err)
	}
	n := m.Config.NCtx
	o := Options{Batch: 2, Sinks: sinks.Options{K: 1}, Streaming: &Streaming{Streams: 1}}
	if err := o.Validate(m, "m"); err != nil {
		t.Fatal(err)
	}
	if o.SeqLen != n || o.Sinks.GuLen != min(64, n) || o.Streaming.Window != n || o.Streaming.Len != 8*n || len(o.Streaming.Sweep) == 0 || o.Corpus == nil {
		t.Errorf("defaults: seq_len %d, gu_len %d, streaming %+v", o.SeqLen, o.Sinks.GuLen, *o.Streaming)
	}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{SeqLen: 1, Sinks: sinks.Options{K: 1, GuLen: 64}}, "seq_len must be between 2 and the model's n_ctx"},
		{Options{SeqLen: 8, Sinks: sinks.Options{K: 9}}, "k (9) must be at most gu_len and seq_len (8)"},
		// A Gu length longer than the windows is refused, not cut to them.
		{Options{SeqLen: 8, Sinks: sinks.Options{K: 1, GuLen: 9}}, "gu_len must be between 1 and seq_len (8), got 9"},
		{Options{Sinks: sinks.Options{K: 1, GuLen: 64}, Streaming: &Streaming{Streams: 1, Sweep: []int{4}}}, "windows must list cache sizes between 5"},
		{Options{Sinks: sinks.Options{K: 1, GuLen: 64}, Streaming: &Streaming{Streams: 1 << 40, Len: 4}}, "streams 1099511627776 × stream_len 4 need more held-out text"},
	} {
		if err := c.o.Validate(m, "m"); !badinput.Is(err) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("got %v, want bad input %q…", err, c.want)
		}
	}
	small, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Options{}).Validate(small, "induction-2l"); !badinput.Is(err) || !strings.Contains(err.Error(), "byte-level text model") {
		t.Errorf("induction model: %v", err)
	}
}
