package main

import (
	"fmt"
	"math"
	"strings"
)

const (
	learnedBOS       = "sink-analysis"
	learnedBOSStream = "sink-analysis --streaming --streams 2 --stream-len 1024 --window 64 --windows 32,64"
	textBOS          = "sink-analysis --model embedded:text-bos"
	textBOSStream    = "sink-analysis --model embedded:text-bos --streaming --streams 2 --stream-len 1024 --window 64 --windows 32,64"
)

// sameAt returns v when a and b print the same at decimals places (the
// README states one number for both), NaN otherwise.
func sameAt(a, b float64, decimals int) float64 {
	if fmt.Sprintf("%.*f", decimals, a) != fmt.Sprintf("%.*f", decimals, b) {
		return math.NaN()
	}
	return a
}

// sinkClaims are the numbers of the README's text-bos-learned and text-bos
// paragraphs.
var sinkClaims = []readmeClaim{
	{"`sink-analysis` measures a loss of 1.262 nats/byte on its 16 windows", learnedBOS,
		func(r *cmdRun) []float64 { return []float64{r.csv("sink_summary").first("loss"), 16} }},
	{"- With its BOS, L3H1's α is 0.303 (15.1× uniform attention's 0.020); Gu et\n  al.'s α₁ is 0.56 and exceeds ε = 0.3 in 94 % of the windows, so\n  Sink₁^0.3 = 0.0625 (one head of 16).", learnedBOS,
		func(r *cmdRun) []float64 {
			s, m := r.csv("sink_summary"), r.csv("sink_mass")
			return []float64{m.num("L3H1", "alpha"), m.num("L3H1", "x_uniform"), s.first("uniform"), m.num("L3H1", "gu_alpha_k1"),
				s.first("epsilon"), 100 * m.num("L3H1", "sink_rate"), s.first("epsilon"), s.first("sink_k1"), float64(len(m.tab.Rows))}
		}},
	{"Without the BOS (`--bos none`) the largest α is 0.061", learnedBOS + " --bos none",
		func(r *cmdRun) []float64 { return []float64{r.csv("sink_summary").first("top_alpha")} }},
	{"and Sink₁^0.3 = 0.035", learnedBOS + " --bos none",
		func(r *cmdRun) []float64 {
			s := r.csv("sink_summary")
			return []float64{s.first("epsilon"), s.first("sink_k1")}
		}},
	{"a newline there gives a layer-1 head α 0.24", learnedBOS,
		func(r *cmdRun) []float64 {
			ft := r.csv("first_token")
			for _, row := range ft.tab.Rows {
				if fmt.Sprint(row[0]) == "newline \"\\n\"" && strings.HasPrefix(fmt.Sprint(row[ft.tab.Column("top_head")]), "L1H") {
					return []float64{toFloat(row[ft.tab.Column("max_alpha")])}
				}
			}
			return []float64{math.NaN()} // "a layer-1 head"
		}},
	{"L3H1's ‖v₀‖ is 0.17× the other tokens'", learnedBOS,
		func(r *cmdRun) []float64 { return []float64{r.csv("sink_mass").num("L3H1", "value_ratio")} }},
	{"its residual norm is 1.8–2.5× the other tokens' and its largest activation\n  2.0–3.3× theirs", learnedBOS,
		func(r *cmdRun) []float64 {
			n := r.csv("residual_norms")
			lo, hi, mlo, mhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
			for _, row := range n.tab.Rows[1:] {
				ratio, mratio := toFloat(row[n.tab.Column("ratio")]), toFloat(row[n.tab.Column("max_ratio")])
				lo, hi, mlo, mhi = min(lo, ratio), max(hi, ratio), min(mlo, mratio), max(mhi, mratio)
			}
			return []float64{lo, hi, mlo, mhi}
		}},
	{"at W = 64, recompute 5.35 against 5.21 for sinks1+recompute; at W = 32,\n  6.88 against 5.59", learnedBOSStream,
		func(r *cmdRun) []float64 {
			s, w := r.csv("streaming"), r.csv("streaming_sweep")
			at := func(policy string, window float64) float64 {
				for _, row := range w.tab.Rows {
					if fmt.Sprint(row[w.tab.Column("policy")]) == policy && toFloat(row[w.tab.Column("window")]) == window {
						return toFloat(row[w.tab.Column("ppl_after_roll")])
					}
				}
				return math.NaN()
			}
			return []float64{64, s.num("recompute", "ppl_after_roll"), s.num("sinks1+recompute", "ppl_after_roll"), 32,
				at("recompute", 32), at("sinks1+recompute", 32)}
		}},
	{"`sink-analysis` measures a loss of 1.311 nats/byte on its 16\nwindows", textBOS,
		func(r *cmdRun) []float64 { return []float64{r.csv("sink_summary").first("loss"), 16} }},
	{"- With its BOS, L2H1's α is 0.185 (9.2× uniform attention's 0.020); Gu et\n  al.'s α₁ is 0.51 and exceeds ε = 0.3 in 94 % of the windows, so\n  Sink₁^0.3 = 0.059 (one head of 16).", textBOS,
		func(r *cmdRun) []float64 {
			s, m := r.csv("sink_summary"), r.csv("sink_mass")
			return []float64{m.num("L2H1", "alpha"), m.num("L2H1", "x_uniform"), s.first("uniform"), m.num("L2H1", "gu_alpha_k1"),
				s.first("epsilon"), 100 * m.num("L2H1", "sink_rate"), s.first("epsilon"), s.first("sink_k1"), float64(len(m.tab.Rows))}
		}},
	{"Without the BOS (`--bos none`) every\n  head is below uniform attention (largest α 0.013) and Sink₁^0.3 = 0.", textBOS + " --bos none",
		func(r *cmdRun) []float64 {
			s := r.csv("sink_summary")
			top := s.first("top_alpha")
			if top >= s.first("uniform") {
				top = math.NaN() // "every head is below uniform attention"
			}
			return []float64{top, s.first("epsilon"), s.first("sink_k1")}
		}},
	{"L2H1's ‖v₀‖ is 0.16× the other tokens' value norm", textBOS,
		func(r *cmdRun) []float64 { return []float64{r.csv("sink_mass").num("L2H1", "value_ratio")} }},
	{"from block 1 on, the BOS's\n  residual norm is 2.6–3.7× the other tokens' and its largest activation,\n  in dimension 62 throughout, 4.0–6.9× theirs (0.96× and 1.2× at the\n  embedding)", textBOS,
		func(r *cmdRun) []float64 {
			n := r.csv("residual_norms")
			lo, hi, mlo, mhi, dim := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1), math.NaN()
			for i, row := range n.tab.Rows {
				if i == 0 {
					continue // the embedding
				}
				ratio, mratio := toFloat(row[n.tab.Column("ratio")]), toFloat(row[n.tab.Column("max_ratio")])
				lo, hi, mlo, mhi = min(lo, ratio), max(hi, ratio), min(mlo, mratio), max(mhi, mratio)
				d := toFloat(row[n.tab.Column("max_dim")])
				if i == 1 {
					dim = d
				} else if d != dim {
					dim = math.NaN() // "throughout"
				}
			}
			emb := n.tab.Rows[0]
			return []float64{1, lo, hi, dim, mlo, mhi, toFloat(emb[n.tab.Column("ratio")]), toFloat(emb[n.tab.Column("max_ratio")])}
		}},
	{"window 5.45 against 5.39 for sinks1+window and sinks1+recompute", textBOSStream,
		func(r *cmdRun) []float64 {
			s := r.csv("streaming")
			return []float64{s.num("window", "ppl_after_roll"), sameAt(s.num("sinks1+window", "ppl_after_roll"), s.num("sinks1+recompute", "ppl_after_roll"), 2)}
		}},
	{"(at W = 32: window 5.79, sinks4+window 5.68); dense attention fails past\n  n_ctx (33.7)", textBOSStream,
		func(r *cmdRun) []float64 {
			w := r.csv("streaming_sweep")
			return []float64{w.num("window", "window"), w.num("window", "ppl_after_roll"), w.num("sinks4+window", "ppl_after_roll"),
				r.csv("streaming").num("dense", "ppl_after_roll")}
		}},
}

func init() { readmeClaims = append(readmeClaims, sinkClaims...) }
