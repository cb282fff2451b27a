package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// readmeBlocks are terminal outputs the README shows: the first fenced
// block after marker must be the first lines `attnlab cmd` prints.
var readmeBlocks = []struct{ marker, cmd string }{
	{"What the embedded models show (`attnlab s2a`", "s2a"},
}

// TestReadmeBlocks checks readmeBlocks against the commands' output.
func TestReadmeBlocks(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	for _, b := range readmeBlocks {
		i := strings.Index(s, b.marker)
		if i < 0 {
			t.Errorf("README.md no longer contains %q", b.marker)
			continue
		}
		j := strings.Index(s[i:], "```\n")
		k := strings.Index(s[i+j+4:], "```\n")
		if j < 0 || k < 0 {
			t.Errorf("no fenced block after %q", b.marker)
			continue
		}
		want := strings.Split(strings.TrimRight(s[i+j+4:i+j+4+k], "\n"), "\n")
		got := strings.Split(runReadmeCmd(t, b.cmd).stdout, "\n")
		for n, line := range want {
			if n >= len(got) || got[n] != line {
				g := "(nothing)"
				if n < len(got) {
					g = got[n]
				}
				t.Errorf("README's output of `attnlab %s`, line %d:\n  README: %s\n  prints: %s", b.cmd, n+1, line, g)
				break
			}
		}
	}
}

// s2aRow returns column col of s2a.csv (or attention_mass.csv) at rate
// and condition.
func s2aRow(r *cmdRun, table string, rate float64, cond, col string) float64 {
	tb := r.csv(table)
	for _, row := range tb.tab.Rows {
		if toFloat(row[0]) == rate && fmt.Sprint(row[1]) == cond {
			return toFloat(row[tb.tab.Column(col)])
		}
	}
	r.t.Fatalf("%s.csv has no row %v %s", table, rate, cond)
	return 0
}

// s2aClaims are the numbers of the README's attnlab s2a section.
var s2aClaims = []readmeClaim{
	{"on clean contexts L1H0 puts 0.996\n  of its attention from the queried key on the answer's value (L1H1 0.32;",
		"s2a", func(r *cmdRun) []float64 {
			h := r.csv("retrieval_heads")
			return []float64{h.num2("answerer", "L1H0", "score"), h.num2("answerer", "L1H1", "score")}
		}},
	{"(rate 0.25) the answers split 0.50 / 0.49 between the fact and the opinion",
		"s2a", func(r *cmdRun) []float64 {
			return []float64{0.25, s2aRow(r, "s2a", 0.25, "baseline", "accuracy"), s2aRow(r, "s2a", 0.25, "baseline", "follows_opinion")}
		}},
	{"distractors, 0.48 of it at rate 0.25 and 0.81 at 0.6, nearly all of it on\n  the opinions (0.73 of the 0.81; the irrelevant pairs, whose keys are of the\n  other topic and never match, draw 0.08)",
		"s2a", func(r *cmdRun) []float64 {
			m := func(rate float64, col string) float64 { return s2aRow(r, "attention_mass", rate, "baseline", col) }
			return []float64{m(0.25, "distractor"), 0.25, m(0.6, "distractor"), 0.6, m(0.6, "opinion"), m(0.6, "distractor"), m(0.6, "irrelevant")}
		}},
	{"back to the fact: 0.68 on the queried fact's key and value, as on the clean\n  context, against 0.09 on the full one (`attention_mass.csv`, rate 0.6)",
		"s2a", func(r *cmdRun) []float64 {
			return []float64{s2aRow(r, "attention_mass", 0.6, "s2a", "answer"), s2aRow(r, "attention_mass", 0.6, "baseline", "answer"), 0.6}
		}},
	{"- **The regenerator** rewrote 98.3–99.9 % of the contexts exactly",
		"s2a", func(r *cmdRun) []float64 {
			g := r.csv("regenerator")
			lo, hi := 1.0, 0.0
			for _, row := range g.tab.Rows {
				v := toFloat(row[g.tab.Column("exact")])
				lo, hi = min(lo, v), max(hi, v)
			}
			return []float64{100 * lo, 100 * hi}
		}},
	{"(a key written with another value: 0.04 per rewrite at\n  rate 0.6) and dropped facts (0.7 % at 0.6); losing the queried fact (0.6 %\n  of the rewrites at 0.6)",
		"s2a", func(r *cmdRun) []float64 {
			g := r.csv("regenerator")
			return []float64{g.num("0.6", "invented"), 0.6, 100 * g.num("0.6", "facts_dropped"), 0.6, 100 * g.num("0.6", "answer_dropped"), 0.6}
		}},
	{"S2A processes 1.65–2.87× the baseline's tokens",
		"s2a", func(r *cmdRun) []float64 {
			return []float64{s2aRow(r, "s2a", 0.6, "s2a", "tokens_vs_baseline"), s2aRow(r, "s2a", 0, "s2a", "tokens_vs_baseline")}
		}},
	{"the answerer's short input) and 7.3–11.5× its FLOPs",
		"s2a", func(r *cmdRun) []float64 {
			return []float64{s2aRow(r, "s2a", 0.6, "s2a", "flops_vs_baseline"), s2aRow(r, "s2a", 0, "s2a", "flops_vs_baseline")}
		}},
}

func init() { readmeClaims = append(readmeClaims, s2aClaims...) }
