package tasks

import "fmt"

// DistractorItemKind says what a context item is.
type DistractorItemKind uint8

const (
	ItemFact       DistractorItemKind = iota // "k v": a fact of the query's topic
	ItemOpinion                              // "[ k v ]": the queried key with a wrong value
	ItemIrrelevant                           // "k v": a pair of the other topic
	ItemInvented                             // a well-formed pair that is none of the context's items (only in parsed output)
)

func (k DistractorItemKind) String() string {
	switch k {
	case ItemFact:
		return "fact"
	case ItemOpinion:
		return "opinion"
	case ItemIrrelevant:
		return "irrelevant"
	case ItemInvented:
		return "invented"
	}
	return fmt.Sprintf("DistractorItemKind(%d)", uint8(k))
}

// DistractorItem is one item of a context.
type DistractorItem struct {
	Kind       DistractorItemKind
	Key, Value int32
}

// Tokens appends the item's tokens to dst: "k v", or "[ k v ]" for an
// opinion.
func (it DistractorItem) Tokens(dst []int32) []int32 {
	if it.Kind == ItemOpinion {
		return append(dst, DistractorOpen, it.Key, it.Value, DistractorClose)
	}
	return append(dst, it.Key, it.Value)
}

// DistractorExample is one context with its question and answer.
type DistractorExample struct {
	Items  []DistractorItem // the context, in order
	Query  int32            // the queried key
	Answer int32            // its value (the fact's)
}

// Context is the full context: every item in order.
func (e DistractorExample) Context() []int32 {
	var out []int32
	for _, it := range e.Items {
		out = it.Tokens(out)
	}
	return out
}

// Clean is the clean context: the facts only, in context order. It is what
// the regenerator should write.
func (e DistractorExample) Clean() []int32 {
	var out []int32
	for _, it := range e.Items {
		if it.Kind == ItemFact {
			out = it.Tokens(out)
		}
	}
	return out
}

// Count returns the number of items of kind k.
func (e DistractorExample) Count(k DistractorItemKind) int {
	n := 0
	for _, it := range e.Items {
		if it.Kind == k {
			n++
		}
	}
	return n
}

// AnswerPrompt is [BOS, ctx, ?, k]: the answerer predicts the value of k at
// the last position.
func (e DistractorExample) AnswerPrompt(ctx []int32) []int32 {
	out := append([]int32{DistractorBOS}, ctx...)
	return append(out, DistractorQuery, e.Query)
}

// InstructedPrompt is [BOS, ignore, ctx, ?, k].
func (e DistractorExample) InstructedPrompt(ctx []int32) []int32 {
	out := append([]int32{DistractorBOS, DistractorIgnore}, ctx...)
	return append(out, DistractorQuery, e.Query)
}

// RegenPrompt is [BOS, context, ?, k, regen]: the regenerator continues it
// with the clean context and EOS (RegenTarget).
func (e DistractorExample) RegenPrompt() []int32 {
	return append(e.AnswerPrompt(e.Context()), DistractorRegen)
}

// RegenTarget is the clean context followed by EOS.
func (e DistractorExample) RegenTarget() []int32 { return append(e.Clean(), DistractorEOS) }

// Parse reads a context (the original, or a regenerator's output without
// its EOS) back into items, matching each well-formed pair against this
// example's items: "[ k v ]" and "k v" are the example's opinion, fact or
// irrelevant pair with that key and value (an opinion's pair counts as an
// opinion with or without its brackets), else ItemInvented. Tokens that
// form no pair are malformed. span[i] is the index of the first token of
// items[i] in ctx.
func (e DistractorExample) Parse(ctx []int32) (items []DistractorItem, span []int, malformed int) {
	kind := make(map[[2]int32]DistractorItemKind, len(e.Items))
	for _, it := range e.Items {
		kind[[2]int32{it.Key, it.Value}] = it.Kind
	}
	lookup := func(k, v int32) DistractorItem {
		if kd, ok := kind[[2]int32{k, v}]; ok {
			return DistractorItem{Kind: kd, Key: k, Value: v}
		}
		return DistractorItem{Kind: ItemInvented, Key: k, Value: v}
	}
	isPair := func(i int) bool {
		return i+1 < len(ctx) && ctx[i] >= DistractorFirstKey && ctx[i+1] >= DistractorFirstKey
	}
	for i := 0; i < len(ctx); {
		switch {
		case ctx[i] == DistractorOpen && isPair(i+1) && i+3 < len(ctx) && ctx[i+3] == DistractorClose:
			items, span = append(items, lookup(ctx[i+1], ctx[i+2])), append(span, i)
			i += 4
		case isPair(i):
			items, span = append(items, lookup(ctx[i], ctx[i+1])), append(span, i)
			i += 2
		default:
			malformed++
			i++
		}
	}
	return items, span, malformed
}

// DistractorRole says what a context position holds, for attention
// accounting.
type DistractorRole uint8

const (
	RoleOther      DistractorRole = iota // not part of a recognised item (BOS, question, malformed or invented)
	RoleFact                             // a fact other than the queried one
	RoleAnswer                           // the queried fact's key or value
	RoleOpinion                          // an opinion's tokens, brackets included
	RoleIrrelevant                       // an irrelevant pair's tokens
)

func (r DistractorRole) String() string {
	return [...]string{"other", "fact", "answer", "opinion", "irrelevant"}[min(int(r), 4)]
}

// Distractor reports whether the role is an opinion or an irrelevant pair.
func (r DistractorRole) Distractor() bool { return r == RoleOpinion || r == RoleIrrelevant }

// Roles labels each position of ctx by the item Parse finds there.
func (e DistractorExample) Roles(ctx []int32) []DistractorRole {
	roles := make([]DistractorRole, len(ctx))
	items, span, _ := e.Parse(ctx)
	for i, it := range items {
		n := 2
		if ctx[span[i]] == DistractorOpen {
			n = 4
		}
		r := RoleOther
		switch it.Kind {
		case ItemFact:
			r = RoleFact
			if it.Key == e.Query {
				r = RoleAnswer
			}
		case ItemOpinion:
			r = RoleOpinion
		case ItemIrrelevant:
			r = RoleIrrelevant
		}
		for p := span[i]; p < span[i]+n; p++ {
			roles[p] = r
		}
	}
	return roles
}
