package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/userfile"
	"github.com/attnlab/attnlab/model"
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
}

func newRunCmd(e *env) *cobra.Command {
	o := &runOpts{}
	c := &cobra.Command{
		Use:   "run",
		Short: "Run a model on tokens or text and save logits, losses and activations for a notebook",
		Long: `Run a model on one sequence and save its logits ("logits" [1, T, V]), per-token
next-token loss ("loss_per_token" [1, T-1]), the tokens ("tokens") and the
requested activations under their TransformerLens hook names, as a
safetensors file that safetensors.torch.load_file reads.`,
		Example: `  attnlab run --tokens "0 5 9 5 9" --hooks blocks.1.attn.hook_pattern --save-cache cache.safetensors
  attnlab run --model text.safetensors --text "func main() {" --hooks '*' --save-cache c.safetensors`,
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
	m, _, err := o.mf.load("induction-2l")
	if err != nil {
		return err
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
	out, err := m.Run(tokens, 1, T, model.RunOptions{CacheNames: names})
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

func sqrtf(n int) float64 { return math.Sqrt(float64(max(n, 1))) }

// showByte renders a byte token as a quoted character, e.g. 'a' or '\n'.
func showByte(t int32) string { return strconv.QuoteRune(rune(t)) }
