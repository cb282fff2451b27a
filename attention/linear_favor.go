package attention

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
)

// DefaultFAVORFeatures is the number of random features m of kind
// "linear:favor"; "linear:favor:M" chooses M.
const DefaultFAVORFeatures = 64

// FAVOR is Performer's FAVOR+ positive orthogonal random features
// (Choromanski et al. 2020, eq. 7 and §2.4):
//
//	x̃ = x / E^¼
//	φ(x) = exp(ω_r·x̃ − |x̃|²/2) / √m,   r = 1…m
//
// so that E_ω[φ(q)·φ(k)] = exp(q̃·k̃) = exp(q·k/√E), the softmax kernel at
// TransformerLens's scaling, with every estimate positive. The ω_r are drawn
// in blocks of E mutually orthogonal directions (Gram–Schmidt on a Gaussian
// matrix), each rescaled to the norm of an independent Gaussian vector, so
// each ω_r is marginally N(0, I) and the estimator stays unbiased with lower
// variance than i.i.d. draws. The draws are seeded from the FAVOR's seed
// string and E (FNV-1a): the same kind always means the same features.
//
// Queries are stabilised: Map(…, query=true) subtracts the largest exponent
// max_r(ω_r·x̃ − |x̃|²/2), a positive per-query factor that cancels in the
// normalised pattern (up to ε) and that Grad differentiates. Keys are not
// (a streaming state cannot rescale the past cheaply): their exponent is at
// most |ω_r|²/2 ≈ E/2, so keys overflow float32 only for d_head beyond
// about 170.
type FAVOR struct {
	M    int    // number of random features
	Seed string // seed string; the features for E come from hash(Seed), E

	mu    sync.Mutex
	omega map[int][]float64 // E → [M, E]
}

// NewFAVOR returns FAVOR+ with m features seeded by seed.
func NewFAVOR(m int, seed string) *FAVOR {
	return &FAVOR{M: m, Seed: seed, omega: map[int][]float64{}}
}

func (f *FAVOR) Name() string {
	if f.M == DefaultFAVORFeatures && f.Seed == "linear:favor" {
		return "favor"
	}
	return "favor:" + strconv.Itoa(f.M)
}

func (f *FAVOR) Dim(int) int { return f.M }

// Features returns the random features ω [M, E] for inputs of dimension E
// (drawn once, then shared; do not modify).
func (f *FAVOR) Features(E int) []float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w, ok := f.omega[E]; ok {
		return w
	}
	h := fnv.New64a()
	h.Write([]byte(f.Seed))
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(E)))
	w := make([]float64, f.M*E)
	for b := 0; b < f.M; b += E {
		rows := min(E, f.M-b)
		blk := w[b*E : (b+rows)*E]
		// Gaussian rows, orthonormalised by modified Gram–Schmidt (E rows of
		// E: a full-rank square block with probability 1).
		for i := range blk {
			blk[i] = r.NormFloat64()
		}
		for i := range rows {
			ri := blk[i*E : (i+1)*E]
			for j := range i {
				rj := blk[j*E : (j+1)*E] // already unit length
				d := dot(ri, rj)
				for e := range ri {
					ri[e] -= d * rj[e]
				}
			}
			n := 1 / math.Sqrt(dot(ri, ri))
			for e := range ri {
				ri[e] *= n
			}
		}
		// rescale each row to the norm of a fresh N(0, I) vector (chi, E dof)
		for i := range rows {
			c := 0.0
			for range E {
				g := r.NormFloat64()
				c += g * g
			}
			c = math.Sqrt(c)
			for e := range E {
				blk[i*E+e] *= c
			}
		}
	}
	f.omega[E] = w
	return w
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Map writes φ(x) (see FAVOR); phi doubles as the exponent buffer.
func (f *FAVOR) Map(phi, x []float64, query bool) {
	E := len(x)
	w := f.Features(E)
	sc := 1 / math.Pow(float64(E), 0.25)
	half := 0.5 * dot(x, x) * sc * sc // |x̃|²/2
	mx := math.Inf(-1)
	for r := range f.M {
		phi[r] = dot(w[r*E:(r+1)*E], x)*sc - half
		mx = max(mx, phi[r])
	}
	if !query {
		mx = 0
	}
	inv := 1 / math.Sqrt(float64(f.M))
	for r := range f.M {
		phi[r] = math.Exp(phi[r]-mx) * inv
	}
}

// Grad: ∂φ_r/∂x = φ_r·(ω_r − x̃)/E^¼ for keys. For queries the stabiliser
// c(x) = ω_r*·x̃ − |x̃|²/2 (r* the largest exponent) is differentiated too,
// ∂φ_r/∂x = φ_r·(ω_r − ω_r*)/E^¼, so the gradient is that of the function
// Map computes, ε included.
func (f *FAVOR) Grad(dx, dphi, x, phi []float64, query bool) {
	E := len(x)
	w := f.Features(E)
	sc := 1 / math.Pow(float64(E), 0.25)
	g, top := 0.0, 0 // Σ_r dphi_r φ_r; r*
	for r := range f.M {
		if phi[r] > phi[top] {
			top = r
		}
		c := dphi[r] * phi[r]
		if c == 0 {
			continue
		}
		g += c
		wr := w[r*E : (r+1)*E]
		for e := range E {
			dx[e] += c * wr[e] * sc
		}
	}
	if query {
		wt := w[top*E : (top+1)*E]
		for e := range E {
			dx[e] -= g * wt[e] * sc
		}
		return
	}
	for e := range E {
		dx[e] -= g * x[e] * sc * sc
	}
}
