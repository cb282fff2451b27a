package main

import (
	"strings"
	"testing"
)

// TestCompletion asks the shell-completion entry point (what `attnlab
// completion bash` scripts call) for flag values and checks the answers
// and the directive (4: no file completion, 6: also no space after a
// list element, 8: files filtered by extension).
func TestCompletion(t *testing.T) {
	for _, c := range []struct {
		line      []string
		want      []string
		directive string
	}{
		{[]string{"train", "--task", ""}, []string{"induction", "mqar", "text"}, ":4"},
		{[]string{"train", "--track", "s"}, []string{"sinks"}, ":4"},
		{[]string{"train", "--attn", "softmax,linear:t"}, []string{"softmax,linear:taylor"}, ":6"},
		{[]string{"retrieval", "--kinds", "soft"}, []string{"softmax", "softmax1"}, ":6"},
		{[]string{"induction", "--model", ""}, []string{"embedded:induction-2l", "embedded:induction-1l", "embedded:text-sink", "embedded:text-rotary"}, ":4"},
		{[]string{"sink-analysis", "--model", "embedded:text"}, []string{"embedded:text-sink", "embedded:text-rotary"}, ":4"},
		{[]string{"inspect", "embedded:ind"}, []string{"embedded:induction-1l", "embedded:induction-2l"}, ":4"},
		{[]string{"inspect", "weights/m"}, []string{"safetensors"}, ":8"},
		{[]string{"run", "--hooks", "blocks.1.attn.hook_p"}, []string{"blocks.1.attn.hook_pattern"}, ":6"},
		{[]string{"run", "--model", "embedded:text-sink", "--hooks", "hook_embed,blocks.5.hook_resid_"},
			[]string{"hook_embed,blocks.5.hook_resid_pre", "hook_embed,blocks.5.hook_resid_post"}, ":6"},
		{[]string{"induction", "--format", ""}, []string{"png", "svg", "pdf"}, ":4"},
		{[]string{"induction", "--pattern", "L1H2,L0"}, []string{"L1H2,L0H0", "L1H2,L0H3"}, ":6"},
		{[]string{"run", "--model", "embedded:text-sink", "--pattern", "L5"}, []string{"L5H0", "L5H3"}, ":6"},
		{[]string{"induction", "--error-measure", "a"}, []string{"abs"}, ":4"},
		{[]string{"retrieval", "--parts", "analytic,"}, []string{"analytic,mqar", "analytic,scaling"}, ":6"},
	} {
		stdout, stderr, code := runCLI(t, append([]string{"__complete"}, c.line...)...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", c.line, code, stderr)
			continue
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		got, directive := lines[:len(lines)-1], lines[len(lines)-1]
		for _, w := range c.want {
			found := false
			for _, g := range got {
				found = found || strings.SplitN(g, "\t", 2)[0] == w
			}
			if !found {
				t.Errorf("%v: completions %v lack %q", c.line, got, w)
			}
		}
		if directive != c.directive {
			t.Errorf("%v: directive %s, want %s", c.line, directive, c.directive)
		}
	}
}
