package ring

import "math"

// The plain reference: dense causal softmax attention of one head over
// positions 0…N−1 in float64, one query row at a time (O(N) scratch, no
// N×N matrix), written from the formulas with nothing shared with the
// blockwise kernels it checks.
//
//	s_ij = scale·q_i·k_j (j ≤ i)   lse_i = log Σ_j e^(s_ij)   p_ij = e^(s_ij − lse_i)
//	out_i = Σ_j p_ij v_j
//
// and, given dout,
//
//	dv_j += p_ij dout_i   dp_ij = dout_i·v_j   δ_i = Σ_j p_ij dp_ij
//	ds_ij = p_ij (dp_ij − δ_i)   dq_i += scale Σ_j ds_ij k_j   dk_j += scale ds_ij q_i

// ReferenceForward returns out [len(rows), E] and lse [len(rows)] for the
// query rows listed (nil: all N rows, in order) of causal attention over q,
// k, v [N, E].
func ReferenceForward(q, k, v []float64, N, E int, scale float64, rows []int) (out, lse []float64) {
	if rows == nil {
		rows = make([]int, N)
		for i := range rows {
			rows[i] = i
		}
	}
	out = make([]float64, len(rows)*E)
	lse = make([]float64, len(rows))
	s := make([]float64, N)
	for r, i := range rows {
		l := refRow(s, q[i*E:(i+1)*E], k, i, E, scale)
		lse[r] = l
		o := out[r*E : (r+1)*E]
		for j := 0; j <= i; j++ {
			p := math.Exp(s[j] - l)
			for e, x := range v[j*E : (j+1)*E] {
				o[e] += p * x
			}
		}
	}
	return out, lse
}

// refRow fills s[0…i] with the scaled scores of query qi and returns their
// log-sum-exp.
func refRow(s, qi, k []float64, i, E int, scale float64) float64 {
	mx := math.Inf(-1)
	for j := 0; j <= i; j++ {
		d := 0.0
		for e, x := range qi {
			d += x * k[j*E+e]
		}
		s[j] = scale * d
		mx = max(mx, s[j])
	}
	sum := 0.0
	for j := 0; j <= i; j++ {
		sum += math.Exp(s[j] - mx)
	}
	return mx + math.Log(sum)
}

// ReferenceBackward returns dq, dk, dv [N, E] of causal attention over q,
// k, v [N, E] for the output gradient dout [N, E].
func ReferenceBackward(dout, q, k, v []float64, N, E int, scale float64) (dq, dk, dv []float64) {
	dq = make([]float64, N*E)
	dk = make([]float64, N*E)
	dv = make([]float64, N*E)
	s := make([]float64, N)
	dp := make([]float64, N)
	for i := range N {
		qi, doi := q[i*E:(i+1)*E], dout[i*E:(i+1)*E]
		l := refRow(s, qi, k, i, E, scale)
		delta := 0.0
		for j := 0; j <= i; j++ {
			s[j] = math.Exp(s[j] - l) // p_ij
			d := 0.0
			for e, x := range doi {
				d += x * v[j*E+e]
			}
			dp[j] = d
			delta += s[j] * d
		}
		dqi := dq[i*E : (i+1)*E]
		for j := 0; j <= i; j++ {
			p := s[j]
			ds := scale * p * (dp[j] - delta)
			kj, dkj, dvj := k[j*E:(j+1)*E], dk[j*E:(j+1)*E], dv[j*E:(j+1)*E]
			for e := range E {
				dvj[e] += p * doi[e]
				dqi[e] += ds * kj[e]
				dkj[e] += ds * qi[e]
			}
		}
	}
	return dq, dk, dv
}

// RelError is the largest absolute difference between got and the
// reference want, relative to the largest magnitude in want:
//
//	err = max_i |got_i − want_i| / max_i |want_i|
//
// (0 when both are all zero; +Inf when want is zero and got is not; NaN
// in got gives NaN).
func RelError(got []float32, want []float64) float64 {
	num, den := 0.0, 0.0
	for i, w := range want {
		d := math.Abs(float64(got[i]) - w)
		if math.IsNaN(d) {
			return math.NaN()
		}
		num = max(num, d)
		den = max(den, math.Abs(w))
	}
	if num == 0 {
		return 0
	}
	return num / den
}
