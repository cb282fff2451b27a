package ring

import (
	"fmt"
	"strings"

	"github.com/attnlab/attnlab/internal/list"
)

// Layout is how the N positions of one sequence are dealt to P hosts. Every
// host holds the queries, keys and values of its own positions, in ascending
// position order.
type Layout int

const (
	// Contiguous gives host p the p-th of P contiguous runs of positions
	// (Liu et al. 2023): simple, but under a causal mask host p sees p+1 of
	// the P key blocks, so the last host does about twice the mean work.
	Contiguous Layout = iota
	// Zigzag cuts the sequence into 2P chunks and gives host p chunks p and
	// 2P−1−p (ring-flash-attention's zigzag_ring_flash_attn): an early and a
	// late chunk, so every host does the same causal work.
	Zigzag
	// Stripe gives host p the positions p, p+P, p+2P, … (Brandon et al. 2023,
	// Striped Attention; ring-flash-attention's stripe_flash_attn): every
	// block pair is a near-triangle, none is skipped.
	Stripe
)

// Layouts lists every layout, in order.
func Layouts() []Layout { return []Layout{Contiguous, Zigzag, Stripe} }

func (l Layout) String() string {
	switch l {
	case Contiguous:
		return "contiguous"
	case Zigzag:
		return "zigzag"
	case Stripe:
		return "stripe"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// ParseLayout reads a layout name as String writes it.
func ParseLayout(s string) (Layout, error) {
	for _, l := range Layouts() {
		if s == l.String() {
			return l, nil
		}
	}
	names := make([]string, 0, 3)
	for _, l := range Layouts() {
		names = append(names, l.String())
	}
	return 0, fmt.Errorf("ring: unknown layout %q (known: %s)", s, strings.Join(names, ", "))
}

// ParseLayouts reads "all" (every layout) or a comma-separated list of
// distinct layout names (a layout named twice is a *list.Repeat).
func ParseLayouts(s string) ([]Layout, error) {
	if s == "all" {
		return Layouts(), nil
	}
	return list.Parse(s, ParseLayout)
}

// CheckShape reports whether N positions can be dealt to P hosts: every
// host needs at least one position.
func CheckShape(N, P int) error {
	if P < 1 {
		return fmt.Errorf("ring: %d hosts, need at least 1", P)
	}
	if N < P {
		return fmt.Errorf("ring: %d positions for %d hosts, need at least one per host", N, P)
	}
	return nil
}

// span returns the bounds [lo, hi) of part i when n items are cut into m
// near-equal parts, the first n mod m parts one item longer.
func span(n, m, i int) (lo, hi int) {
	q, r := n/m, n%m
	lo = i*q + min(i, r)
	hi = lo + q
	if i < r {
		hi++
	}
	return lo, hi
}

// Size returns how many positions host p holds.
func (l Layout) Size(N, P, p int) int {
	switch l {
	case Zigzag:
		a0, a1 := span(N, 2*P, p)
		b0, b1 := span(N, 2*P, 2*P-1-p)
		return a1 - a0 + b1 - b0
	case Stripe:
		return (N - p + P - 1) / P
	default:
		lo, hi := span(N, P, p)
		return hi - lo
	}
}

// Positions returns the positions host p of P holds for a sequence of N
// tokens, ascending. The hosts' positions partition 0…N−1. It panics
// unless 0 ≤ p < P ≤ N (CheckShape).
func (l Layout) Positions(N, P, p int) []int {
	if err := CheckShape(N, P); err != nil || p < 0 || p >= P {
		panic(fmt.Sprintf("ring: Positions(N=%d, P=%d, p=%d)", N, P, p))
	}
	pos := make([]int, 0, l.Size(N, P, p))
	add := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			pos = append(pos, i)
		}
	}
	switch l {
	case Zigzag:
		add(span(N, 2*P, p))
		add(span(N, 2*P, 2*P-1-p))
	case Stripe:
		for i := p; i < N; i += P {
			pos = append(pos, i)
		}
	default:
		add(span(N, P, p))
	}
	return pos
}

// Owner returns the host that holds position i.
func (l Layout) Owner(N, P, i int) int {
	switch l {
	case Zigzag:
		c := chunkOf(N, 2*P, i)
		if c < P {
			return c
		}
		return 2*P - 1 - c
	case Stripe:
		return i % P
	default:
		return chunkOf(N, P, i)
	}
}

// chunkOf is the part of span(n, m, ·) that holds item i.
func chunkOf(n, m, i int) int {
	q, r := n/m, n%m
	if i < r*(q+1) {
		return i / (q + 1)
	}
	return r + (i-r*(q+1))/q
}

// Block is the part of one (query block, key block) pair a host computes:
// query rows [Q0, Q1) of its own block against key rows [0, K1) of the
// block it holds. Queries before Q0 see none of these keys and keys at or
// after K1 are seen by no query, so the rest of the pair is skipped
// unread; inside the rectangle the kernel masks by position.
type Block struct {
	Q0, Q1, K1 int
	// Visible counts the (query, key) pairs the causal mask keeps.
	Visible int64
}

// Empty reports whether the whole pair is masked (skipped).
func (b Block) Empty() bool { return b.Q0 >= b.Q1 || b.K1 == 0 }

// Area is the number of (query, key) pairs in the computed rectangle.
func (b Block) Area() int64 {
	if b.Empty() {
		return 0
	}
	return int64(b.Q1-b.Q0) * int64(b.K1)
}

// Visible returns the computed rectangle of queries at qpos against keys
// at kpos (both ascending) under the causal mask: key j is visible to
// query i iff kpos[j] ≤ qpos[i].
func Visible(qpos, kpos []int) Block {
	b := Block{Q1: len(qpos)}
	if len(qpos) == 0 || len(kpos) == 0 {
		return Block{}
	}
	for b.Q0 < len(qpos) && qpos[b.Q0] < kpos[0] {
		b.Q0++
	}
	last := qpos[len(qpos)-1]
	for b.K1 < len(kpos) && kpos[b.K1] <= last {
		b.K1++
	}
	j := 0
	for _, q := range qpos[b.Q0:] {
		for j < len(kpos) && kpos[j] <= q {
			j++
		}
		b.Visible += int64(j)
	}
	if b.Empty() {
		return Block{}
	}
	return b
}

// HostWork is what one host computes over a whole ring pass.
type HostWork struct {
	Host, Tokens    int
	Computed        int   // block pairs with at least one visible pair
	Skipped         int   // block pairs entirely above the diagonal
	Visible, Area   int64 // visible pairs; pairs in the computed rectangles
	DiagonalVisible int64 // visible pairs in the host's own (diagonal) block
}

// Work returns each host's work for a causal pass over N positions on P
// hosts under layout l: host p pairs its queries with every host's keys.
func (l Layout) Work(N, P int) []HostWork {
	pos := make([][]int, P)
	for p := range P {
		pos[p] = l.Positions(N, P, p)
	}
	w := make([]HostWork, P)
	for p := range P {
		w[p] = HostWork{Host: p, Tokens: len(pos[p])}
		for s := range P {
			b := Visible(pos[p], pos[s])
			if b.Empty() {
				w[p].Skipped++
				continue
			}
			w[p].Computed++
			w[p].Visible += b.Visible
			w[p].Area += b.Area()
			if s == p {
				w[p].DiagonalVisible = b.Visible
			}
		}
	}
	return w
}

// Imbalance is the work of the busiest host over the mean work:
//
//	imbalance = max_p w_p / ((1/P) Σ_p w_p)
//
// 1 is perfect balance; the ring's time is set by its busiest host, so a
// pass takes imbalance × the balanced time. Zero work gives 1.
func Imbalance(w []float64) float64 {
	if len(w) == 0 {
		return 1
	}
	mx, sum := w[0], 0.0
	for _, x := range w {
		mx = max(mx, x)
		sum += x
	}
	if sum == 0 {
		return 1
	}
	return mx / (sum / float64(len(w)))
}

// BlockImbalance is Imbalance of the number of block pairs each host
// computes, counting a partly masked pair as a whole one (the cost model of
// a kernel that does not skip inside a block). For Contiguous it is
// 2P/(P+1): host p computes p+1 blocks, the mean is (P+1)/2.
func BlockImbalance(w []HostWork) float64 {
	x := make([]float64, len(w))
	for i, h := range w {
		x[i] = float64(h.Computed)
	}
	return Imbalance(x)
}

// PairImbalance is Imbalance of the visible (query, key) pairs, the work of
// a kernel that skips every masked pair. For Contiguous with c = N/P it is
// ((2P−1)c+1)/(Pc+1) → (2P−1)/P.
func PairImbalance(w []HostWork) float64 {
	x := make([]float64, len(w))
	for i, h := range w {
		x[i] = float64(h.Visible)
	}
	return Imbalance(x)
}
