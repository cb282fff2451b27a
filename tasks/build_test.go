package tasks

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBuildAndSpecRoundTrip(t *testing.T) {
	t.Parallel()
	ind, T, err := Build(Options{Task: "induction", Vocab: 32})
	if err != nil || T != 128 || ind.Name() != "induction" || ind.Vocab() != 32 || Tokenizer(ind) != "" {
		t.Fatalf("induction: %v, T %d, %v", ind, T, err)
	}
	if got := ind.Spec()["max_rep"]; got != 31 {
		t.Errorf("induction max_rep %v, want min(40, vocab−1) = 31", got)
	}
	mq, T, err := Build(Options{Task: "mqar", Vocab: 128, KVPairs: 8, SeqLen: 64})
	if err != nil || T != 64 {
		t.Fatalf("mqar: T %d, %v", T, err)
	}
	spec, _ := json.Marshal(mq.Spec())
	cfg, err := ParseMQARSpec(string(spec))
	if err != nil {
		t.Fatal(err)
	}
	if want := (MQARConfig{Vocab: 128, NumKVPairs: 8, SeqLen: 64, PowerA: 0.01, RandomNonQueries: true}); cfg != want {
		t.Errorf("spec read back as %+v, want %+v", cfg, want)
	}
	indSpec, _ := json.Marshal(ind.Spec())
	for _, bad := range []string{"{", string(indSpec), `{"task":"mqar","vocab":8,"num_kv_pairs":0,"seq_len":64}`} {
		if _, err := ParseMQARSpec(bad); err == nil {
			t.Errorf("ParseMQARSpec(%.40s) accepted", bad)
		}
	}
	for _, o := range []Options{{Task: "sorting"}, {Task: "mqar", BOS: true}, {Task: "text", Data: "/nonexistent/dir"}} {
		if _, _, err := Build(o); err == nil || !strings.HasPrefix(err.Error(), "tasks: ") {
			t.Errorf("Build(%+v) = %v, want a tasks: error", o, err)
		}
	}
}
