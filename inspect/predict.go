package inspect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// ParseTokens reads token ids separated by spaces, commas, tabs or
// newlines ("0 5 9", "0,5,9").
func ParseTokens(s string) ([]int32, error) {
	for i, p := range strings.Split(s, ",") {
		if i > 0 && strings.TrimSpace(p) == "" && i < strings.Count(s, ",") {
			return nil, fmt.Errorf("an empty entry between two commas in %q", clip(s))
		}
	}
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' })
	out := make([]int32, 0, len(f))
	for _, w := range f {
		v, err := strconv.ParseInt(w, 10, 32)
		if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(w, "-") {
			return nil, fmt.Errorf("token %q is larger than any token id (at most %d)", w, math.MaxInt32)
		}
		if err != nil || v < 0 {
			return nil, fmt.Errorf("token %q is not a non-negative integer", w)
		}
		out = append(out, int32(v))
	}
	return out, nil
}

// clip shortens s for a message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Bytes are the tokens of text for a byte-level model: one per byte.
func Bytes(text string) []int32 {
	out := make([]int32, 0, len(text))
	for _, c := range []byte(text) {
		out = append(out, int32(c))
	}
	return out
}

// Token shows token t of m: a quoted character for a byte-level model
// ('a', '\n'), else its id.
func Token(m *model.Model, t int32) string {
	if m.ByteLevel() {
		return strconv.QuoteRune(rune(t))
	}
	return fmt.Sprint(t)
}

// Prediction is one sequence run through a model.
type Prediction struct {
	Tokens  []int32
	Out     *model.Output   // logits, per-token losses and the cached activations
	Table   *report.Table   // tokens.csv: per position the token, the top prediction, its probability, the next token, the loss
	Figures []report.Figure // pattern_{head}.png: the attention pattern of each head asked for
}

// Predict runs m on one sequence of tokens, caching the activations hooks
// names ("*" for every hook point) and the attention patterns of heads,
// and returns the per-token table and one pattern figure per head. The
// tokens must fit the model's context and vocabulary; the heads must be
// the model's.
func Predict(ctx context.Context, m *model.Model, tokens []int32, hooks []string, heads []model.HeadID) (*Prediction, error) {
	T, c := len(tokens), m.Config
	if T == 0 {
		return nil, fmt.Errorf("no tokens given")
	}
	if T > c.NCtx {
		return nil, fmt.Errorf("%d tokens do not fit the model's context of %d", T, c.NCtx)
	}
	for i, t := range tokens {
		if int(t) >= c.DVocab {
			return nil, fmt.Errorf("token %d at position %d is outside the vocabulary (d_vocab %d)", t, i, c.DVocab)
		}
	}
	names := slices.Clone(hooks)
	for _, h := range heads {
		if n := model.HookPattern(h.Layer); !slices.Contains(names, n) && !slices.Contains(names, "*") {
			names = append(names, n)
		}
	}
	out, err := m.Run(tokens, 1, T, model.RunOptions{CacheNames: names, Context: ctx})
	if err != nil {
		return nil, err
	}
	p := &Prediction{Tokens: tokens, Out: out, Table: predictions(m, tokens, out)}
	labels := make([]string, T)
	for i, t := range tokens {
		labels[i] = Token(m, t)
	}
	for _, h := range heads {
		a := out.Cache[model.HookPattern(h.Layer)].Data[h.Head*T*T:][:T*T] // [1, H, T, T]
		fig, err := plots.Pattern(fmt.Sprintf("%s attention on %d tokens", h, T), a, T, labels)
		if err != nil {
			return nil, err
		}
		p.Figures = append(p.Figures, report.Figure{Name: "pattern_" + h.String() + ".png", Fig: fig})
	}
	return p, nil
}

// predictions is tokens.csv: at every position t the token, the most
// likely next token and its softmax probability, the actual next token and
// its cross-entropy −log p(tokens[t+1]) (blank at the last position).
func predictions(m *model.Model, tokens []int32, out *model.Output) *report.Table {
	V := m.Config.DVocab
	tab := report.NewTable("tokens", "Next-token predictions", report.Column{Name: "pos"}, report.Column{Name: "token"},
		report.Column{Name: "predicted"}, report.Column{Name: "p_predicted", Format: "%.3f"}, report.Column{Name: "next"},
		report.Column{Name: "loss", Unit: "nats", Format: "%.3f"})
	for t := range tokens {
		best, p := model.Argmax(out.Logits.Data[t*V : (t+1)*V])
		next, loss := "", any(nil) // no next token: not applicable
		if t+1 < len(tokens) {
			next, loss = Token(m, tokens[t+1]), float64(out.Losses.Data[t])
		}
		if m.ByteLevel() {
			tab.Add(t, Token(m, tokens[t]), Token(m, int32(best)), p, next, loss)
		} else {
			tab.Add(t, int(tokens[t]), best, p, next, loss)
		}
	}
	return tab
}
