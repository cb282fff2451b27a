package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/userfile"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
	"github.com/spf13/cobra"
)

type runOpts struct {
	mf                 modelFlags
	tokens, tokensFile string
	text               string
	hooks              string
	saveCache          string
	bos                string
	jsonOut            bool
	pattern            string
	out, format        string
}

func newRunCmd(e *env) *cobra.Command {
	o := &runOpts{}
	c := &cobra.Command{
		Use:   "run",
		Short: "Run a model on tokens or text and save logits, losses and activations for a notebook",
		Long: `Run a model on one sequence and save its logits ("logits" [1, T, V]), per-token
next-token loss ("loss_per_token" [1, T-1]), the tokens ("tokens") and the
requested activations under their TransformerLens hook names, as a
safetensors file that safetensors.torch.load_file reads. --pattern draws the
attention pattern of the heads it names on these tokens (pattern_L1H3.png, ...)
into --out, beside tokens.csv and manifest.json.`,
		Example: `  attnlab run --tokens "0 5 9 5 9" --hooks blocks.1.attn.hook_pattern --save-cache cache.safetensors
  attnlab run --model text.safetensors --text "func main() {" --hooks '*' --save-cache c.safetensors
  attnlab run --tokens "0 5 9 13 5 9 13" --pattern L1H2,L0H1 --out patterns`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runRun(e, o) },
	}
	o.mf.add(c, "weights file (default: the embedded induction model)")
	c.Flags().StringVar(&o.tokens, "tokens", "", `token ids separated by spaces or commas, e.g. "0 5 9"`)
	c.Flags().StringVar(&o.tokensFile, "tokens-file", "", "file of token ids separated by white space or commas")
	c.Flags().StringVar(&o.text, "text", "", "text, tokenized as bytes (for byte-level models), after the BOS of --bos")
	c.Flags().StringVar(&o.bos, "bos", "", "with --text: token put in front of the text (TransformerLens prepend_bos), or none; default the model's own first token (train --bos), none if it has none")
	c.Flags().StringVar(&o.hooks, "hooks", "", "comma-separated hook names to save, or '*' for all")
	c.Flags().StringVar(&o.saveCache, "save-cache", "", "write logits, losses and activations to this safetensors file")
	c.Flags().BoolVar(&o.jsonOut, "json", false, "print the per-token table as JSON")
	c.Flags().StringVar(&o.pattern, "pattern", "", "draw these heads' attention patterns on the tokens, e.g. L1H3,L0H1")
	c.Flags().StringVar(&o.out, "out", "attnlab-out/run", "with --pattern: output folder (pattern_{head}.png, tokens.csv, manifest.json)")
	c.Flags().StringVar(&o.format, "format", "png", "with --pattern: figure format, png, svg or pdf")
	return c
}

func parseTokens(s string) ([]int32, error) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' })
	out := make([]int32, 0, len(f))
	for _, w := range f {
		v, err := strconv.ParseInt(w, 10, 32)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("token %q is not a non-negative integer", w)
		}
		out = append(out, int32(v))
	}
	return out, nil
}

func runRun(e *env, o *runOpts) error {
	n := 0
	for _, s := range []string{o.tokens, o.tokensFile, o.text} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return usagef("give exactly one of --tokens, --tokens-file or --text")
	}
	var tokens []int32
	var err error
	switch {
	case o.tokens != "":
		if tokens, err = parseTokens(o.tokens); err != nil {
			return usagef("--tokens: %v", err)
		}
	case o.tokensFile != "":
		b, rerr := userfile.ReadFile(o.tokensFile, userfile.TokensLimit)
		if rerr != nil {
			return rerr
		}
		if tokens, err = parseTokens(string(b)); err != nil {
			return fmt.Errorf("%s: %v", o.tokensFile, err)
		}
	default:
		for _, c := range []byte(o.text) {
			tokens = append(tokens, int32(c))
		}
	}
	heads, err := parseHeads("--pattern", o.pattern)
	if err != nil {
		return err
	}
	if err := checkFormat(o.format); err != nil {
		return err
	}
	if len(heads) > 0 {
		if err := checkOutDir(o.out); err != nil {
			return err
		}
	}
	if o.saveCache != "" {
		if err := report.CheckTarget(o.saveCache); err != nil {
			return usagef("--save-cache: %v", strings.TrimPrefix(err.Error(), "report: "))
		}
	}
	m, name, err := o.mf.load("induction-2l")
	if err != nil {
		return err
	}
	for _, h := range heads {
		if h.Layer >= m.Config.NLayers || h.Head >= m.Config.NHeads {
			return usagef("--pattern: the model has no head %s (%d layers of %d heads)", h, m.Config.NLayers, m.Config.NHeads)
		}
	}
	if o.bos != "" && o.text == "" {
		return usagef("--bos goes with --text (--tokens are taken as given)")
	}
	if o.text != "" {
		// A model trained with a fixed first token saw it at the start of
		// every window: give it one, as TransformerLens's prepend_bos.
		bos, err := bosFor(m, o.bos)
		if err != nil {
			return err
		}
		if bos.On {
			tokens = append([]int32{bos.Token}, tokens...)
		}
		if !o.jsonOut {
			fmt.Fprintf(e.stderr, "first token: %s\n", bosSource(m, o.bos, bos))
		}
	}
	T := len(tokens)
	if T == 0 {
		return usagef("no tokens given")
	}
	if T > m.Config.NCtx {
		return usagef("%d tokens do not fit the model's context of %d", T, m.Config.NCtx)
	}
	for i, t := range tokens {
		if int(t) >= m.Config.DVocab {
			return usagef("token %d at position %d is outside the vocabulary (d_vocab %d)", t, i, m.Config.DVocab)
		}
	}
	var names []string
	if o.hooks != "" {
		names = strings.Split(o.hooks, ",")
		for i := range names {
			names[i] = strings.TrimSpace(names[i])
		}
	}
	for _, h := range heads {
		if n := model.HookPattern(h.Layer); !slices.Contains(names, n) && !slices.Contains(names, "*") {
			names = append(names, n)
		}
	}
	out, err := m.Run(tokens, 1, T, model.RunOptions{CacheNames: names, Context: e.ctx})
	if err != nil {
		return usageError{err}
	}
	if o.saveCache != "" {
		if err := m.SaveCache(o.saveCache, tokens, out); err != nil {
			return err
		}
	}
	V := m.Config.DVocab
	tab := report.NewTable("tokens", "Next-token predictions", report.Column{Name: "pos"}, report.Column{Name: "token"},
		report.Column{Name: "predicted"}, report.Column{Name: "p_predicted", Format: "%.3f"}, report.Column{Name: "next"},
		report.Column{Name: "loss", Unit: "nats", Format: "%.3f"})
	// Byte-level models show characters rather than ids.
	for t := range T {
		best, p := model.Argmax(out.Logits.Data[t*V : (t+1)*V])
		next, loss := "", any(nil) // no next token: not applicable
		if t+1 < T {
			next, loss = fmt.Sprint(tokens[t+1]), float64(out.Losses.Data[t])
		}
		tab.Add(t, int(tokens[t]), best, p, next, loss)
		if m.ByteLevel() {
			row := tab.Rows[len(tab.Rows)-1]
			row[1], row[2] = showByte(tokens[t]), showByte(int32(best))
			if next != "" {
				row[4] = showByte(tokens[t+1])
			}
		}
	}
	if len(heads) > 0 {
		return e.finish(outFlags{out: o.out, json: o.jsonOut, format: o.format},
			report.Results{Tables: []*report.Table{tab}, Headline: []*report.Table{tab}, Figures: patternFigures(m, out, tokens, heads), Model: name})
	}
	if o.jsonOut {
		return report.WriteJSON(e.stdout, tab)
	}
	if err := e.render(false, "", tab); err != nil {
		return err
	}
	if o.saveCache != "" {
		fmt.Fprintf(e.stdout, "saved logits, loss_per_token and %d activations to %s\n", len(out.Cache), o.saveCache)
	}
	return nil
}

// patternFigures draws each head's attention pattern on the run's tokens
// (characters for a byte-level model).
func patternFigures(m *model.Model, out *model.Output, tokens []int32, heads []model.HeadID) []report.Figure {
	T := len(tokens)
	labels := make([]string, T)
	for i, t := range tokens {
		labels[i] = fmt.Sprint(t)
		if m.ByteLevel() {
			labels[i] = showByte(t)
		}
	}
	var figs []report.Figure
	for _, h := range heads {
		p := out.Cache[model.HookPattern(h.Layer)].Data[h.Head*T*T:][:T*T] // [1, H, T, T]
		fig, err := plots.Pattern(fmt.Sprintf("%s attention on %d tokens", h, T), p, T, labels)
		if err != nil {
			panic(err) // the run's own shapes: an internal invariant
		}
		figs = append(figs, report.Figure{Name: "pattern_" + h.String() + ".png", Fig: fig})
	}
	return figs
}

func sqrtf(n int) float64 { return math.Sqrt(float64(max(n, 1))) }

// showByte renders a byte token as a quoted character, e.g. 'a' or '\n'.
func showByte(t int32) string { return strconv.QuoteRune(rune(t)) }
