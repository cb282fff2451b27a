package main

// README claims: every number the README states that a command prints is
// checked here against what the command prints now, so README and outputs
// cannot drift apart.
//
// To add a claim, add a row to readmeClaims:
//
//	{readme: "best prefix-matching score | 0.954, L1H0",   // an exact substring of README.md
//	 cmd:    "induction",                                 // the command line (without "attnlab"; --out is added)
//	 got: func(r *cmdRun) []float64 {                     // the command's values for the snippet's numbers, in order
//		return []float64{r.csv("heads").num("L1H0", "prefix_matching")}
//	 }},
//
// The test finds the snippet in README.md, reads every number in it (ignoring
// digits inside names such as L1H0 or d_model; "16,800" is 16800; a leading
// "-" or "+" is a sign) and compares each, at the precision the README prints
// it (0.954: three decimals; 97%: none), with the value got returns in the
// same position: got must return one value per number. A number that is a
// setting rather than a measurement (the 50 of "L = 50") is returned as the
// setting, so it is checked too. Each distinct command line runs once, in
// process, with --out pointing into a temporary folder; cmdRun gives its
// stdout and the CSVs it wrote. Keep the commands to the embedded models and
// their seconds-long defaults: this runs in CI. Timings (tokens/s, wall
// seconds) are not claims this test can check; leave them out of snippets.

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/bench"
	"github.com/attnlab/attnlab/report"
)

type readmeClaim struct {
	readme string
	cmd    string
	got    func(r *cmdRun) []float64
}

var readmeClaims = []readmeClaim{
	// attnlab verify on a golden PyTorch reference (with gradients).
	{"passes all 48 tensors (logits within 1.14e-06, patterns within\n2.29e-07, gradients within 4.71e-08 absolute)",
		"verify --model ../../model/testdata/golden/rotary_mlp_relu_2l.model.safetensors --reference ../../model/testdata/golden/rotary_mlp_relu_2l.expected.safetensors --rtol 1e-4 --atol 1e-4",
		func(r *cmdRun) []float64 {
			p := r.csv("parity")
			var pattern, grad float64
			n := 0
			for _, row := range p.tab.Rows {
				name, v := fmt.Sprint(row[0]), toFloat(row[p.tab.Column("max_abs")])
				if fmt.Sprint(row[1]) == "pass" {
					n++
				}
				switch {
				case strings.HasSuffix(name, "hook_pattern"):
					pattern = max(pattern, v)
				case strings.HasPrefix(name, "grad."):
					grad = max(grad, v)
				}
			}
			return []float64{float64(n), p.num("logits", "max_abs"), pattern, grad}
		}},
	// The kernel trick measured (kernel.csv).
	{"taylor's 1 + x + x²/2 is within 4.1–5.0 % of e^x at the median\n(d = 16–64), but a tenth of the pairs are 93 % or more off",
		"retrieval --parts analytic", func(r *cmdRun) []float64 {
			med, p90 := kernelCol(r, "linear:taylor", "median_abs_rel_err"), kernelCol(r, "linear:taylor", "p90_abs_rel_err")
			return []float64{1, 2, 100 * min(med[0], med[1], med[2]), 100 * max(med[0], med[1], med[2]), 16, 64, 100 * min(p90[0], p90[1], p90[2])}
		}},
	{"features is unbiased over feature draws but 56 % (d = 16) to 90 % (d = 64)",
		"retrieval --parts analytic", func(r *cmdRun) []float64 {
			med := kernelCol(r, "linear:favor", "median_abs_rel_err")
			return []float64{100 * med[0], 16, 100 * med[2], 64}
		}},
	{"elu+1's median relative error is 20–86",
		"retrieval --parts analytic", func(r *cmdRun) []float64 {
			med := kernelCol(r, "linear:elu", "median_abs_rel_err")
			return []float64{med[0], med[2]}
		}},
	// The quick MQAR grid, evaluated from its embedded models.
	{"| linear:elu | 32 | 0.27 | 0.14 | 0.10 |", "retrieval --parts mqar", func(r *cmdRun) []float64 { return mqarRow(r, "linear:elu", 32) }},
	{"| linear:relu | 32 | 0.26 | 0.14 | 0.11 |", "retrieval --parts mqar", func(r *cmdRun) []float64 { return mqarRow(r, "linear:relu", 32) }},
	{"| linear:elu | 64 | 1.00 | 0.99 | 0.11 |", "retrieval --parts mqar", func(r *cmdRun) []float64 { return mqarRow(r, "linear:elu", 64) }},
	{"| linear:relu | 64 | 1.00 | 1.00 | 0.11 |", "retrieval --parts mqar", func(r *cmdRun) []float64 { return mqarRow(r, "linear:relu", 64) }},
	{"| softmax | 64 | 1.00 | 1.00 | 1.00 |", "retrieval --parts mqar", func(r *cmdRun) []float64 { return mqarRow(r, "softmax", 64) }},
	// Linear attention's own map against softmax's (kernel_map.csv).
	{"fewest pairs (`linear:elu`, d_model 64, 4 pairs, accuracy 1.00), every",
		"retrieval --parts mqar", func(r *cmdRun) []float64 {
			k := r.csv("kernel_map")
			return []float64{k.num("L1H0", "d_model"), k.num("L1H0", "kv_pairs"), mqarRow(r, "linear:elu", 64)[1]}
		}},
	{"softmax: they put 0.76 (L1H0) and 0.91 (L1H1) of a query's weight on the\nvalue it asks for, softmax on the same q, k puts less than 0.001 there, and\nthe two maps agree on the most-attended key at 0 of the 4 query positions\n(mean |Δ| 0.060 over all causal entries, both heads)",
		"retrieval --parts mqar", func(r *cmdRun) []float64 {
			k := r.csv("kernel_map")
			soft := math.NaN()
			if max(k.num("L1H0", "softmax_on_answer"), k.num("L1H1", "softmax_on_answer")) < 0.001 {
				soft = 0.001 // "less than 0.001"
			}
			same := max(k.num("L1H0", "same_top_key_at_queries"), k.num("L1H1", "same_top_key_at_queries"))
			d0, d1 := k.num("L1H0", "mean_abs_diff"), k.num("L1H1", "mean_abs_diff")
			if math.Abs(d0-d1) > 0.0005 {
				d1 = math.NaN() // "both heads": the two must print the same
			}
			return []float64{k.num("L1H0", "linear_on_answer"), k.num("L1H1", "linear_on_answer"), soft, 4 * same, 4, (d0 + d1) / 2}
		}},
	// attnlab induction: the head table on the embedded two-layer model.
	{"│ L1H2 │    0.017 │     0.625 │ 0.023 │       0.97 │        0.923 │    0.80 │           2.24 │",
		"induction", func(r *cmdRun) []float64 { return r.headRow("L1H2") }},
	{"│ L0H1 │    0.801 │     0.018 │ 0.014 │       0.03 │        0.000 │   -0.18 │           2.07 │",
		"induction", func(r *cmdRun) []float64 { return r.headRow("L0H1") }},
	{"perfect-head ceilings on these tokens: induction 0.644, previous-token 0.990, duplicate-token 0.644",
		"induction", func(r *cmdRun) []float64 {
			h := r.csv("heads")
			return []float64{h.num("L1H2", "induction_ceiling"), h.num("L1H2", "previous_token_ceiling"), h.num("L1H2", "duplicate_token_ceiling")}
		}},
	// The two-layer vs one-layer table.
	{"| loss, first repeat | 4.18 nats (ln 64 = 4.16) | 4.19 nats |",
		"induction", func(r *cmdRun) []float64 {
			one := runReadmeCmd(r.t, "induction --model embedded:induction-1l")
			return []float64{r.summary("loss_first_repeat"), 64, r.summary("uniform_loss_ln_vocab"), one.summary("loss_first_repeat")}
		}},
	{"| loss, second repeat | **0.19** nats | 3.83 nats |",
		"induction", func(r *cmdRun) []float64 {
			one := runReadmeCmd(r.t, "induction --model embedded:induction-1l")
			return []float64{r.summary("loss_second_repeat"), one.summary("loss_second_repeat")}
		}},
	{"| ablating the induction heads together | +4.04 nats | — |",
		"induction", func(r *cmdRun) []float64 { return []float64{r.summary("ablate_induction_heads_dloss")} }},
	{"| ablating their previous-token partners by K-composition (L0H1, L0H3) | +2.73 nats | — |",
		"induction", func(r *cmdRun) []float64 { return []float64{r.summary("ablate_prev_token_partners_dloss")} }},
	{"| ablating the layer-0 heads whose own ablation costs most (L0H1, L0H2) | +1.24 nats | — |",
		"induction", func(r *cmdRun) []float64 { return []float64{r.summary("ablate_ablation_partners_dloss")} }},
	{"(L0H2 at 1.85 nats rather than L0H3 at 0.22)",
		"induction", func(r *cmdRun) []float64 {
			h := r.csv("heads")
			return []float64{h.num("L0H2", "zero_ablation_dloss"), h.num("L0H3", "zero_ablation_dloss")}
		}},
	{"(L0H1 0.80, L0H3 0.63)",
		"induction", func(r *cmdRun) []float64 {
			return []float64{r.csv("heads").num("L0H1", "previous_token"), r.csv("heads").num("L0H3", "previous_token")}
		}},
	{"(L1H0 0.255, L1H2 0.266, L1H3 0.251, against 0.125 for\nrandom heads); into L1H1 L0H3 leads narrowly (0.240 against L0H1's 0.237)",
		"induction", func(r *cmdRun) []float64 {
			k := func(src, dst string) float64 { return r.csv("composition").num2(src, dst, "k_composition") }
			return []float64{k("L0H1", "L1H0"), k("L0H1", "L1H2"), k("L0H1", "L1H3"), r.summary("composition_random_baseline"),
				k("L0H3", "L1H1"), k("L0H1", "L1H1")}
		}},
	{"a perfect induction head scores 0.644 on the default batch",
		"induction", func(r *cmdRun) []float64 { return []float64{r.csv("heads").num("L1H2", "induction_ceiling")} }},
	{"L/(2L+1) = 0.495", "induction", func(r *cmdRun) []float64 { return []float64{50.0 / 101} }},
	// Weight processing: fold-ln against TransformerLens's default.
	{"the K-composition\nscores move by at most 0.002, the OV copying scores by up to 0.037 (L0H2:\n−0.509 with `fold-ln`, −0.546 with `tl-default`)",
		"induction", func(r *cmdRun) []float64 {
			tl := runReadmeCmd(r.t, "induction --weights tl-default --no-ablation")
			var dk, dov float64
			for _, row := range r.csv("composition").tab.Rows {
				src, dst := fmt.Sprint(row[0]), fmt.Sprint(row[1])
				a, b := r.csv("composition").num2(src, dst, "k_composition"), tl.csv("composition").num2(src, dst, "k_composition")
				dk = math.Max(dk, math.Abs(a-b))
			}
			for _, row := range r.csv("heads").tab.Rows {
				h := fmt.Sprint(row[0])
				dov = math.Max(dov, math.Abs(r.csv("heads").num(h, "ov_copying")-tl.csv("heads").num(h, "ov_copying")))
			}
			return []float64{dk, dov, r.csv("heads").num("L0H2", "ov_copying"), tl.csv("heads").num("L0H2", "ov_copying")}
		}},
	// attnlab sink-analysis: the loss on its held-out windows.
	{"`sink-analysis` measures 1.782 on its own 16 held-out windows",
		"sink-analysis --model embedded:text-sink", func(r *cmdRun) []float64 { return []float64{r.csv("sink_summary").first("loss"), 16} }},
	// Gu et al.'s Sink_1^0.3 both ways on text-sink.
	{"so **Sink₁^0.3 = 0.005** by Gu et al.'s code (0 in head-mean form)",
		"sink-analysis --model embedded:text-sink", func(r *cmdRun) []float64 {
			s := r.csv("sink_summary")
			return []float64{s.first("epsilon"), s.first("per_sample_rate"), s.first("head_mean_rate")}
		}},
	{"the first gives 0.0052 (L0H1 crosses",
		"sink-analysis --model embedded:text-sink", func(r *cmdRun) []float64 { return []float64{r.csv("sink_summary").first("per_sample_rate")} }},
	{"ε in 12 % of the windows), the second 0 (no head's mean does)",
		"sink-analysis --model embedded:text-sink", func(r *cmdRun) []float64 {
			return []float64{100 * r.csv("sink_mass").num("L0H1", "sink_rate"), r.csv("sink_summary").first("head_mean_rate")}
		}},
	{"2.074 on `sink-analysis`'s 16 windows",
		"sink-analysis --model embedded:text-rotary", func(r *cmdRun) []float64 {
			return []float64{r.csv("sink_summary").first("loss"), 16}
		}},
	// Speed: the reference step's shape and work are exact; its speed is a
	// range measured on a shared machine (stepSpeedRange).
	{"2 layers, attention-only, d_model 64, 4 heads, d_vocab 64, T 65, batch 32 (16 work units), forward + backward + AdamW; 321,024 FLOPs per token",
		stepCmd, func(r *cmdRun) []float64 {
			c, st := bench.StepConfig, r.csv("train_step")
			flops := math.Round(st.first("gflops_per_cpu_s") * 1e9 / st.first("tokens_per_cpu_s"))
			return []float64{float64(c.NLayers), float64(c.DModel), float64(c.NHeads), float64(c.DVocab), float64(c.NCtx), bench.StepBatch, st.first("units"), flops}
		}},
	{"per CPU-second **0.87–0.91 of the FMA peak**", stepCmd, func(r *cmdRun) []float64 {
		return stepSpeedRange(r, "of_peak_cpu", 0.87, 0.91)
	}},
}

// stepCmd times the reference step briefly, on one core.
const stepCmd = "bench --train-step --cores 1 --repeats 3 --seconds 0.3"

// stepSpeedRange checks a speed the README states as the range lo–hi,
// measured on a shared development machine: it returns lo and hi (the
// claim holds) while the value the command prints now lies within
// [0.6·lo, 1.3·hi], a margin for another machine's load and cache sizes
// that a real regression (or an impossible speed) still falls outside,
// and the value itself (the claim fails, naming it) otherwise. Without
// the AVX-512 kernels there is no peak to state a fraction of: the claim
// is not measured.
func stepSpeedRange(r *cmdRun, col string, lo, hi float64) []float64 {
	st := r.csv("train_step")
	j := st.tab.Column(col)
	if j < 0 || len(st.tab.Rows) == 0 {
		r.t.Fatalf("train_step.csv has no column %q", col)
	}
	if cell := st.tab.Rows[0][j]; cell == nil || cell == "" {
		return []float64{lo, hi} // noasm: no FMA peak measured, an empty cell
	}
	if v := toFloat(st.tab.Rows[0][j]); !(v >= 0.6*lo && v <= 1.3*hi) {
		return []float64{v, v}
	}
	return []float64{lo, hi}
}

// readmeFiles are output files the README names: each must be written by
// the command.
var readmeFiles = []struct {
	readme string   // an exact substring of README.md
	cmd    string   // the command line
	files  []string // files the snippet names, relative to --out
}{
	{"(`pattern_L1H2.png`, `pattern_L0H1.png` on the embedded model)", "induction", []string{"pattern_L1H2.png", "pattern_L0H1.png"}},
}

// TestReadme checks readmeClaims and readmeFiles. The commands' output
// folders live until the test ends.
func TestReadme(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for line, r := range readmeRuns {
			os.RemoveAll(r.dir)
			delete(readmeRuns, line)
		}
	})
	t.Run("numbers", func(t *testing.T) { checkReadmeNumbers(t, readme) })
	t.Run("files", func(t *testing.T) { checkReadmeFiles(t, readme) })
}

// checkReadmeFiles checks that the files the README names are written.
func checkReadmeFiles(t *testing.T, readme []byte) {
	for _, c := range readmeFiles {
		if !bytes.Contains(readme, []byte(c.readme)) {
			t.Errorf("README.md no longer contains %q", c.readme)
			continue
		}
		r := runReadmeCmd(t, c.cmd)
		for _, f := range c.files {
			if _, err := os.Stat(filepath.Join(r.dir, f)); err != nil {
				t.Errorf("README names %s, which `attnlab %s` does not write", f, c.cmd)
			}
		}
	}
}

// checkReadmeNumbers checks every claim in readmeClaims.
func checkReadmeNumbers(t *testing.T, readme []byte) {
	for _, c := range readmeClaims {
		if !bytes.Contains(readme, []byte(c.readme)) {
			t.Errorf("README.md no longer contains %q: update the claim with the README", c.readme)
			continue
		}
		nums := readmeNumbers(c.readme)
		r := runReadmeCmd(t, c.cmd)
		got := c.got(r)
		if len(got) != len(nums) {
			t.Errorf("%q holds %d numbers %v, the claim returns %d values", c.readme, len(nums), nums, len(got))
			continue
		}
		for i, n := range nums {
			if !asmKernels && n.sameRoundingError(got[i]) {
				continue
			}
			if s := n.format(got[i]); s != n.text {
				t.Errorf("README says %s where `attnlab %s` prints %s (%v), in %q", n.text, c.cmd, s, got[i], c.readme)
			}
		}
	}
}

// readmeNumber is a number as the README prints it.
type readmeNumber struct {
	text     string // normalised: no thousands separators, ASCII minus
	decimals int
}

func (n readmeNumber) String() string { return n.text }

// sameRoundingError reports whether v and this number, written in
// exponent form (the README's float32 rounding errors, measured with the
// AVX-512 kernels), are the same error up to a factor of 4: what the
// pure-Go kernels of -tags noasm, which sum in other orders, give.
func (n readmeNumber) sameRoundingError(v float64) bool {
	want, err := strconv.ParseFloat(n.text, 64)
	return strings.Contains(n.text, "e") && err == nil && v >= want/4 && v <= 4*want
}

// format prints v as the README prints this number.
func (n readmeNumber) format(v float64) string {
	if strings.Contains(n.text, "e") { // 1.14e-06: the same mantissa digits
		return strconv.FormatFloat(v, 'e', n.decimals, 64)
	}
	s := strconv.FormatFloat(v, 'f', n.decimals, 64)
	if s == "-0" || strings.Trim(s, "-0.") == "" && strings.HasPrefix(s, "-") {
		s = s[1:] // -0.000 prints as 0.000
	}
	if strings.HasPrefix(n.text, "+") && v >= 0 {
		s = "+" + s
	}
	return s
}

var numberRE = regexp.MustCompile(`[+\-−]?\d+(?:,\d{3})*(?:\.\d+)?(?:e[+\-]\d+)?`)

// readmeNumbers returns the numbers of a README snippet, skipping digits
// that are part of a name (L1H0, d_model, x2).
func readmeNumbers(s string) []readmeNumber {
	var out []readmeNumber
	for _, loc := range numberRE.FindAllStringIndex(s, -1) {
		text := s[loc[0]:loc[1]]
		if loc[0] > 0 {
			prev := s[loc[0]-1]
			if prev == '_' || prev == '.' || prev >= 'a' && prev <= 'z' || prev >= 'A' && prev <= 'Z' || prev >= '0' && prev <= '9' {
				continue
			}
		}
		if loc[1] < len(s) {
			next := s[loc[1]]
			if next == '_' || next >= 'a' && next <= 'z' || next >= 'A' && next <= 'Z' && next != 'M' && next != 'K' {
				continue
			}
		}
		// A sign only when it is not a hyphen inside a word ("x-1").
		if c := text[0]; (c == '-' || c == '+') && loc[0] > 0 && s[loc[0]-1] != ' ' && s[loc[0]-1] != '(' && s[loc[0]-1] != '|' {
			text = text[1:]
		}
		text = strings.ReplaceAll(strings.ReplaceAll(text, ",", ""), "−", "-")
		dec := 0
		if i := strings.IndexByte(text, '.'); i >= 0 {
			dec = len(text) - i - 1
			if e := strings.IndexByte(text, 'e'); e > i {
				dec = e - i - 1
			}
		}
		out = append(out, readmeNumber{text: text, decimals: dec})
	}
	return out
}

// cmdRun is one command's output: stdout and the CSVs in its --out folder.
type cmdRun struct {
	t      *testing.T
	stdout string
	dir    string
	tables map[string]*readmeTable
}

var readmeRuns = map[string]*cmdRun{}

// runReadmeCmd runs a command line once per test binary.
func runReadmeCmd(t *testing.T, line string) *cmdRun {
	t.Helper()
	if r, ok := readmeRuns[line]; ok {
		r.t = t
		return r
	}
	dir, err := os.MkdirTemp("", "attnlab-readme")
	if err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if code := run(append(strings.Fields(line), "--out", dir), &o, &e); code != 0 {
		t.Fatalf("attnlab %s: exit %d: %s", line, code, e.String())
	}
	r := &cmdRun{t: t, stdout: o.String(), dir: dir, tables: map[string]*readmeTable{}}
	readmeRuns[line] = r
	return r
}

// readmeTable is a CSV written by a command, read back.
type readmeTable struct {
	t   *testing.T
	tab *report.Table
}

// csv returns the table the command wrote as name.csv.
func (r *cmdRun) csv(name string) *readmeTable {
	if tb, ok := r.tables[name]; ok {
		return tb
	}
	f, err := os.Open(filepath.Join(r.dir, name+".csv"))
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	tab, err := report.ReadCSV(f)
	if err != nil {
		r.t.Fatal(err)
	}
	tb := &readmeTable{t: r.t, tab: tab}
	r.tables[name] = tb
	return tb
}

// num returns the number in column col of the row whose first cell is key.
func (tb *readmeTable) num(key, col string) float64 {
	j := tb.tab.Column(col)
	if j < 0 {
		tb.t.Fatalf("%s.csv has no column %q", tb.tab.Name, col)
	}
	for _, row := range tb.tab.Rows {
		if fmt.Sprint(row[0]) == key {
			return toFloat(row[j])
		}
	}
	tb.t.Fatalf("%s.csv has no row %q", tb.tab.Name, key)
	return 0
}

// first returns the number in column col of the first row (a one-row
// summary such as sink_summary.csv).
func (tb *readmeTable) first(col string) float64 {
	j := tb.tab.Column(col)
	if j < 0 || len(tb.tab.Rows) == 0 {
		tb.t.Fatalf("%s.csv has no column %q or no row", tb.tab.Name, col)
	}
	return toFloat(tb.tab.Rows[0][j])
}

// num2 returns the number in column col of the row whose first two cells
// are key1 and key2 (composition.csv: src, dst).
func (tb *readmeTable) num2(key1, key2, col string) float64 {
	for _, row := range tb.tab.Rows {
		if fmt.Sprint(row[0]) == key1 && fmt.Sprint(row[1]) == key2 {
			return toFloat(row[tb.tab.Column(col)])
		}
	}
	tb.t.Fatalf("%s.csv has no row %s, %s", tb.tab.Name, key1, key2)
	return 0
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case string:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return math.NaN()
}

// summary returns a metric's mean from summary.csv.
func (r *cmdRun) summary(metric string) float64 { return r.csv("summary").num(metric, "mean") }

// headRow returns the columns of the induction head table, as the terminal
// prints them, for one head.
func (r *cmdRun) headRow(head string) []float64 {
	h := r.csv("heads")
	var out []float64
	// The columns the terminal shows at 100 columns, in order.
	for _, col := range []string{"previous_token", "induction", "induction_std", "induction_of_ceiling",
		"prefix_matching", "ov_copying", "zero_ablation_dloss"} {
		out = append(out, h.num(head, col))
	}
	return out
}

func TestReadmeNumbersParse(t *testing.T) {
	got := fmt.Sprint(readmeNumbers("L0H1 0.80, ln 64 = 4.16 | +4.04 nats | -0.18 | 16,800 | 97% | 0.25–0.26 | d_model 64 | 82M tokens | x×50 | within 1.14e-06"))
	if want := "[0.80 64 4.16 +4.04 -0.18 16800 97 0.25 0.26 64 82 50 1.14e-06]"; got != want {
		t.Errorf("numbers %s, want %s", got, want)
	}
}

// kernelCol returns column col of kernel.csv for map m at d = 16, 32, 64.
// mqarRow returns a README row of the quick MQAR grid: d_model, then the
// held-out accuracy at kv = 4, 8, 16 (mqar.csv, seed 1).
func mqarRow(r *cmdRun, kind string, d int) []float64 {
	t := r.csv("mqar")
	out := []float64{float64(d)}
	for _, kv := range []int{4, 8, 16} {
		found := false
		for _, row := range t.tab.Rows {
			if fmt.Sprint(row[t.tab.Column("attention")]) == kind && toFloat(row[t.tab.Column("d_model")]) == float64(d) &&
				toFloat(row[t.tab.Column("kv_pairs")]) == float64(kv) {
				out, found = append(out, toFloat(row[t.tab.Column("accuracy")])), true
			}
		}
		if !found {
			r.t.Fatalf("mqar.csv has no %s d_model=%d kv=%d cell", kind, d, kv)
		}
	}
	return out
}

func kernelCol(r *cmdRun, m, col string) []float64 {
	k := r.csv("kernel")
	var out []float64
	for _, row := range k.tab.Rows {
		if fmt.Sprint(row[0]) == m {
			out = append(out, toFloat(row[k.tab.Column(col)]))
		}
	}
	if len(out) != 3 {
		r.t.Fatalf("kernel.csv has %d rows for %s, want d = 16, 32, 64", len(out), m)
	}
	return out
}
