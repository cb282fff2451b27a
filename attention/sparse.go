package attention

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Sparse is one head's causal sparse attention pattern: which earlier keys
// each query sees. Two families, each exact: it is dense softmax attention
// restricted to the visible keys (the masked entries get probability 0).
//
// Longformer (Beltagy et al. 2020, §3.1), in causal form, when Window > 0:
//
//	sliding window, Dilation D ≥ 1:   j = i − k·D for k = 0…W−1   (reach (W−1)·D)
//	global positions g ∈ Globals:     every query i ≥ g sees g; a global query sees every j ≤ i
//
// (D = 1 is the plain window i−W < j ≤ i; globals need D = 1.)
// StreamingLLM's attention sinks plus a rolling window, with every token at
// its text position, is this pattern with Globals = the first S positions:
// Xiao et al. 2023 keep the S first tokens and the W most recent ones.
//
// BigBird (Zaheer et al. 2020, ITC block-sparse), causal, when Block > 0:
// positions are cut into blocks of Block; query block I sees its own block
// (causal inside), the Local blocks before it, the first GlobalBlocks
// blocks, and Random further earlier blocks drawn without replacement from
// the rest, seeded by (Seed, Head, I).
type Sparse struct {
	Window   int   // W > 0: Longformer
	Dilation int   // D ≥ 1 (0 means 1)
	Globals  []int // ascending, distinct, ≥ 0

	Block        int // b > 0: BigBird
	Local        int // l previous blocks
	GlobalBlocks int // g first blocks
	Random       int // r random earlier blocks
	Seed         uint64
	Head         int // which head: selects the random blocks
}

func (s Sparse) dil() int { return max(s.Dilation, 1) }

// Validate returns an error naming the first field out of range.
func (s Sparse) Validate() error {
	switch {
	case (s.Window > 0) == (s.Block > 0):
		return fmt.Errorf("attention: a sparse pattern needs exactly one of a window (W > 0) and a block size (b > 0), got W=%d b=%d", s.Window, s.Block)
	case s.Window < 0 || s.Block < 0:
		return fmt.Errorf("attention: window %d and block size %d must not be negative", s.Window, s.Block)
	case s.Dilation < 0:
		return fmt.Errorf("attention: dilation must be at least 1, got %d", s.Dilation)
	case s.Local < 0 || s.GlobalBlocks < 0 || s.Random < 0:
		return fmt.Errorf("attention: block-sparse l, g, r must not be negative, got %d, %d, %d", s.Local, s.GlobalBlocks, s.Random)
	case len(s.Globals) > 0 && s.dil() > 1:
		return fmt.Errorf("attention: global tokens need dilation 1, got %d", s.dil())
	case len(s.Globals) > 0 && s.Block > 0:
		return fmt.Errorf("attention: global positions belong to the window pattern; block-sparse has global blocks")
	}
	for i, g := range s.Globals {
		if g < 0 || i > 0 && g <= s.Globals[i-1] {
			return fmt.Errorf("attention: global positions must be ascending, distinct and ≥ 0, got %v", s.Globals)
		}
	}
	return nil
}

// Visible reports whether query i sees key j (the definition the kernels
// and the masked dense rule are tested against).
func (s Sparse) Visible(i, j int) bool {
	if j > i || j < 0 {
		return false
	}
	if s.Block > 0 {
		I, J := i/s.Block, j/s.Block
		return slices.Contains(s.keyBlocks(I), J)
	}
	d := i - j
	if d%s.dil() == 0 && d/s.dil() < s.Window {
		return true
	}
	_, gi := slices.BinarySearch(s.Globals, i)
	_, gj := slices.BinarySearch(s.Globals, j)
	return gi || gj
}

// keyBlocks returns the key blocks query block I sees, ascending.
func (s Sparse) keyBlocks(I int) []int {
	var ks []int
	for J := range min(s.GlobalBlocks, I) {
		ks = append(ks, J)
	}
	// Random blocks from [g, I−l): a partial Fisher–Yates shuffle.
	lo, hi := min(s.GlobalBlocks, I), max(I-s.Local, 0)
	if n := hi - lo; n > 0 && s.Random > 0 {
		cand := make([]int, n)
		for c := range cand {
			cand[c] = lo + c
		}
		r := rand.New(rand.NewPCG(s.Seed, uint64(s.Head)<<32|uint64(I)))
		k := min(s.Random, n)
		for c := range k {
			o := c + r.IntN(n-c)
			cand[c], cand[o] = cand[o], cand[c]
		}
		ks = append(ks, cand[:k]...)
	}
	for J := max(I-s.Local, 0); J <= I; J++ {
		ks = append(ks, J)
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

// Rows calls visit(lo, hi) for each run [lo, hi) of keys that query i
// sees, ascending and disjoint: the pattern row by row, in O(runs).
func (s Sparse) Rows(i int, visit func(lo, hi int)) {
	switch {
	case s.Block > 0:
		I := i / s.Block
		for _, J := range s.keyBlocks(I) {
			visit(J*s.Block, min((J+1)*s.Block, i+1))
		}
	case s.dil() > 1:
		for k := min(s.Window-1, i/s.dil()); k >= 0; k-- {
			j := i - k*s.dil()
			visit(j, j+1)
		}
	default:
		lo := max(0, i-s.Window+1)
		if _, g := slices.BinarySearch(s.Globals, i); g {
			lo = 0
		}
		for _, g := range s.Globals {
			if g >= lo {
				break
			}
			visit(g, g+1)
		}
		visit(lo, i+1)
	}
}

// Pairs returns the number of visible (query, key) pairs of a T-token
// sequence: the work of the sparse kernels (dense causal: T(T+1)/2).
func (s Sparse) Pairs(T int) int {
	n := 0
	s.EachRow(T, func(_, lo, hi int) { n += hi - lo })
	return n
}

// String is the pattern as an attention kind ("window:16", "window:8:d2",
// "window:16:g4", "block-sparse:16:l1:g1:r1:s1"); per-head dilations and
// the head are not part of it.
func (s Sparse) String() string {
	if s.Block > 0 {
		return fmt.Sprintf("block-sparse:%d:l%d:g%d:r%d:s%d", s.Block, s.Local, s.GlobalBlocks, s.Random, s.Seed)
	}
	k := "window:" + strconv.Itoa(s.Window)
	if s.dil() > 1 {
		k += ":d" + strconv.Itoa(s.dil())
	}
	if n := len(s.Globals); n > 0 {
		if s.Globals[n-1] == n-1 {
			k += ":g" + strconv.Itoa(n)
		} else {
			k += ":at" + joinInts(s.Globals, ",")
		}
	}
	return k
}

func joinInts(x []int, sep string) string {
	s := make([]string, len(x))
	for i, v := range x {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, sep)
}

// SparseKind is a parsed sparse attention kind: the pattern of every head
// (Dilations, when given per head, has one entry per head).
type SparseKind struct {
	Sparse
	Dilations []int // per-head dilations ("window:8:d1,2,4,8"); nil: Sparse.Dilation for all
}

// Head returns head h's pattern (of H heads).
func (k SparseKind) Head(h, H int) (Sparse, error) {
	s := k.Sparse
	s.Head = h
	if len(k.Dilations) > 0 {
		if len(k.Dilations) != H {
			return s, fmt.Errorf("attention: kind %q lists %d dilations for %d heads", k.String(), len(k.Dilations), H)
		}
		s.Dilation = k.Dilations[h]
	}
	return s, nil
}

// String is the kind in canonical form.
func (k SparseKind) String() string {
	if len(k.Dilations) == 0 {
		return k.Sparse.String()
	}
	s := k.Sparse
	s.Dilation = 1
	base := s.String()
	ds := ":d" + joinInts(k.Dilations, ",")
	// The dilation goes right after the window size.
	w := "window:" + strconv.Itoa(s.Window)
	return w + ds + strings.TrimPrefix(base, w)
}

// ParseSparse parses a sparse attention kind:
//
//	window:W[:dD | :dD1,D2,…,DH][:gG | :atP1,P2,…]
//	block-sparse:b[:lL][:gG][:rR][:sSEED]   (defaults l1, g1, r1, s1)
//
// W, D, b ≥ 1; G ≥ 0 first positions (or blocks) are global; the :at list
// gives global positions explicitly.
func ParseSparse(kind string) (SparseKind, error) {
	bad := func(format string, a ...any) (SparseKind, error) {
		return SparseKind{}, fmt.Errorf("attention: kind %q: %s", kind, fmt.Sprintf(format, a...))
	}
	parts := strings.Split(kind, ":")
	var k SparseKind
	num := func(s, what string, lo int) (int, error) {
		v, err := strconv.Atoi(s)
		if err != nil || v < lo || v > 1<<30 {
			return 0, fmt.Errorf("attention: kind %q: %s must be an integer ≥ %d, got %q", kind, what, lo, s)
		}
		return v, nil
	}
	list := func(s, what string, lo int) ([]int, error) {
		var out []int
		for _, f := range strings.Split(s, ",") {
			v, err := num(f, what, lo)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	var err error
	switch parts[0] {
	case "window":
		if len(parts) < 2 {
			return bad("want window:W (W keys, the query's own included)")
		}
		if k.Window, err = num(parts[1], "the window W", 1); err != nil {
			return k, err
		}
		k.Dilation = 1
		for _, p := range parts[2:] {
			switch {
			case strings.HasPrefix(p, "d"):
				ds, err := list(p[1:], "a dilation", 1)
				if err != nil {
					return k, err
				}
				if len(ds) == 1 {
					k.Dilation = ds[0]
				} else {
					k.Dilations = ds
				}
			case strings.HasPrefix(p, "at"):
				if k.Globals, err = list(p[2:], "a global position", 0); err != nil {
					return k, err
				}
			case strings.HasPrefix(p, "g"):
				g, err := num(p[1:], "the number of global tokens", 0)
				if err != nil {
					return k, err
				}
				k.Globals = positions(g)
			default:
				return bad("unknown part %q (want dD, gG or atP,…)", p)
			}
		}
		if len(k.Globals) > 0 && (k.Dilation > 1 || slices.ContainsFunc(k.Dilations, func(d int) bool { return d > 1 })) {
			return bad("global tokens need dilation 1")
		}
	case "block-sparse":
		if len(parts) < 2 {
			return bad("want block-sparse:b (block size)")
		}
		if k.Block, err = num(parts[1], "the block size b", 1); err != nil {
			return k, err
		}
		k.Local, k.GlobalBlocks, k.Random, k.Seed = 1, 1, 1, 1
		for _, p := range parts[2:] {
			if p == "" {
				return bad("empty part")
			}
			var v int
			switch p[0] {
			case 'l':
				v, err = num(p[1:], "l (previous blocks)", 0)
				k.Local = v
			case 'g':
				v, err = num(p[1:], "g (global blocks)", 0)
				k.GlobalBlocks = v
			case 'r':
				v, err = num(p[1:], "r (random blocks)", 0)
				k.Random = v
			case 's':
				v, err = num(p[1:], "the seed", 0)
				k.Seed = uint64(v)
			default:
				return bad("unknown part %q (want lL, gG, rR or sSEED)", p)
			}
			if err != nil {
				return k, err
			}
		}
	default:
		return bad("not a sparse kind (window:… or block-sparse:…)")
	}
	return k, k.Sparse.Validate()
}

// IsSparseKind reports whether kind names a sparse pattern family (it may
// still be malformed: ParseSparse says).
func IsSparseKind(kind string) bool {
	return strings.HasPrefix(kind, "window:") || kind == "window" || strings.HasPrefix(kind, "block-sparse")
}

// EachRow calls visit(i, lo, hi) for each run [lo, hi) of keys each query
// i < T sees, rows in order (Rows for every row, with BigBird's block lists
// drawn once per query block).
func (s Sparse) EachRow(T int, visit func(i, lo, hi int)) {
	if s.Block == 0 {
		for i := range T {
			s.Rows(i, func(lo, hi int) { visit(i, lo, hi) })
		}
		return
	}
	for I := 0; I*s.Block < T; I++ {
		ks := s.keyBlocks(I)
		for i := I * s.Block; i < min((I+1)*s.Block, T); i++ {
			for _, J := range ks {
				visit(i, J*s.Block, min((J+1)*s.Block, i+1))
			}
		}
	}
}
