package gemm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"
)

func TestTuneTmp(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	type sh struct {
		name         string
		tA, tB       bool
		m, n, k, ld  int
	}
	list := []sh{
		{"NN_T", false, false, 2080, 192, 64, 0},
		{"NN_64", false, false, 64, 64, 64, 0},
		{"NN_256", false, false, 256, 256, 256, 0},
		{"TN_T", true, false, 64, 192, 2080, 0},
		{"TN_64", true, false, 64, 64, 64, 0},
		{"TN_256", true, false, 256, 256, 256, 0},
		{"NT_T", false, true, 2080, 192, 64, 0},
		{"NT_64", false, true, 64, 64, 64, 0},
		{"NT_256", false, true, 256, 256, 256, 0},
		{"Scores65", false, true, 65, 65, 16, 192},
		{"PV65", false, false, 65, 16, 65, 192},
		{"Tiny1", false, false, 1, 1, 1, 0},
	}
	for _, s := range list {
		rng := rand.New(rand.NewPCG(1, 1))
		lda, ldb := s.k, s.n
		if s.tA {
			lda = s.m
		}
		if s.tB {
			ldb = s.k
		}
		if s.ld > 0 {
			lda, ldb = s.ld, s.ld
		}
		a := randSlice(rng, max(s.m, s.k)*lda)
		b := randSlice(rng, max(s.n, s.k)*ldb)
		c := make([]float32, s.m*s.n)
		flops := 2 * float64(s.m*s.n*s.k)
		reps := max(1, int(2e5/flops))
		var ts []float64
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) {
			t0 := time.Now()
			for range reps {
				MatMul(s.tA, s.tB, s.m, s.n, s.k, a, lda, b, ldb, c, s.n, false)
			}
			ts = append(ts, float64(time.Since(t0).Nanoseconds())/float64(reps))
		}
		slices.Sort(ts)
		fmt.Printf("%-10s min %9.0f ns %7.1f GF/s   p10 %7.1f GF/s\n", s.name, ts[0], flops/ts[0], flops/ts[len(ts)/10])
	}
}
