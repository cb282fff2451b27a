package attention

import "github.com/attnlab/attnlab/internal/vecmath"

// mapFeatures32 writes phi [n, E] = φ(x_i) for the rows of x [n, E] (stride
// ld) in float32 when the map has a float32 form (elu, relu, identity:
// M = E), and reports whether it did. elu runs vecmath.ELU1 (within 2 ulp
// of the float64 map rounded to float32).
func mapFeatures32(fm FeatureMap, phi, x []float32, ld, n, E int) bool {
	switch fm.(type) {
	case ELU:
		for i := range n {
			vecmath.ELU1(phi[i*E:(i+1)*E], x[i*ld:i*ld+E])
		}
	case ReLU:
		for i := range n {
			xi, row := x[i*ld:i*ld+E], phi[i*E:(i+1)*E]
			for e, v := range xi {
				row[e] = max(v, 0)
			}
		}
	case Identity:
		for i := range n {
			copy(phi[i*E:(i+1)*E], x[i*ld:i*ld+E])
		}
	default:
		return false
	}
	return true
}

// gradFeatures32 accumulates dx [n, E] (stride ldd) += Jφ(x_i)ᵀ·dphi_i for
// the maps mapFeatures32 handles, and reports whether it did.
func gradFeatures32(fm FeatureMap, dx []float32, ldd int, dphi, phi, x []float32, ld, n, E int) bool {
	switch fm.(type) {
	case ELU: // φ' = 1 for x > 0, e^x = φ otherwise: min(φ, 1)
		for i := range n {
			d := dx[i*ldd : i*ldd+E]
			g, p := dphi[i*E:(i+1)*E], phi[i*E:(i+1)*E]
			for e := range d {
				d[e] += g[e] * min(p[e], 1)
			}
		}
	case ReLU:
		for i := range n {
			xi, d, g := x[i*ld:i*ld+E], dx[i*ldd:i*ldd+E], dphi[i*E:(i+1)*E]
			for e, v := range xi {
				if v > 0 {
					d[e] += g[e]
				}
			}
		}
	case Identity:
		for i := range n {
			vecmath.Add(dx[i*ldd:i*ldd+E], dphi[i*E:(i+1)*E])
		}
	default:
		return false
	}
	return true
}
