package model

import (
	"slices"
	"strings"
	"testing"
)

func TestMetaAccessors(t *testing.T) {
	t.Parallel()
	m := &Transformer[float32]{Meta: map[string]string{}}
	if _, ok := m.SinkToken(); ok || m.ByteLevel() || m.Task() != "" {
		t.Error("an empty Meta reports a task, a sink token or bytes")
	}
	if err := m.SetTask("text+sink", map[string]any{"task": "text+sink", "sink_token": 7}, "bytes"); err != nil {
		t.Fatal(err)
	}
	if tok, ok := m.SinkToken(); !ok || tok != 7 || !m.ByteLevel() || m.Task() != "text+sink" || !strings.Contains(m.TaskSpec(), `"sink_token":7`) {
		t.Errorf("sink token %d %v, bytes %v, task %q, spec %s", tok, ok, m.ByteLevel(), m.Task(), m.TaskSpec())
	}
	m.Meta[MetaTaskSpec] = "not json"
	if tok, ok := m.SinkToken(); !ok || tok != 0 {
		t.Errorf("malformed spec: sink token %d %v, want the default 0", tok, ok)
	}
	if err := m.SetTask("x", map[string]any{"f": func() {}}, ""); err == nil {
		t.Error("SetTask accepted a spec JSON cannot encode")
	}
}

func TestParseAttention(t *testing.T) {
	t.Parallel()
	if got, err := ParseAttention("softmax1", 3); err != nil || !slices.Equal(got, []string{"softmax1", "softmax1", "softmax1"}) {
		t.Errorf("one kind for 3 layers: %v, %v", got, err)
	}
	if got, err := ParseAttention("softmax, linear:elu", 2); err != nil || !slices.Equal(got, []string{"softmax", "linear:elu"}) {
		t.Errorf("a list: %v, %v", got, err)
	}
	for _, bad := range []struct {
		s    string
		n    int
		want string
	}{{"softmax,sigmoid", 3, "2 attention kinds listed for 3 layers"}, {"flash", 2, `unknown attention kind "flash"`},
		{"", 2, `"" has an empty attention kind`}, {"softmax", 100_000_000, "n_layers = 100000000 is more than attnlab supports (64)"}, {"softmax,,sigmoid", 3, `"softmax,,sigmoid" has an empty attention kind`}} {
		if _, err := ParseAttention(bad.s, bad.n); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseAttention(%q, %d) = %v, want %q", bad.s, bad.n, err, bad.want)
		}
	}
}
