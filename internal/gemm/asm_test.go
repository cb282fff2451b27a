package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestAssemblyExercised fails on a CPU with AVX-512 when MatMul does not take
// the assembly micro-kernels there (then every other test here would compare
// the pure-Go path with the reference), and checks the assembly path
// directly against Ref. Elsewhere it says, as a skip, that the assembly was
// not tested on this machine.
func TestAssemblyExercised(t *testing.T) {
	switch {
	case !asmBuilt:
		t.Skip("gemm: built without the assembly kernels (not amd64, or -tags noasm): only the pure-Go path was tested")
	case !cpu.X86.HasAVX512F:
		t.Skip("gemm: this CPU has no AVX-512: the assembly micro-kernels were NOT tested; run go test on an AVX-512 machine")
	case !haveAsm:
		t.Fatal("gemm: the CPU has AVX-512 but MatMul does not select the assembly path: the tests compared the pure-Go path with Ref")
	}
	const m, n, k = 37, 45, 29 // edges in every direction
	r := rand.New(rand.NewPCG(3, 4))
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(r.NormFloat64())
	}
	for i := range b {
		b[i] = float32(r.NormFloat64())
	}
	got, via, want := make([]float32, m*n), make([]float32, m*n), make([]float32, m*n)
	mulAsm(None, false, false, m, n, k, a, k, b, n, got, n, false)
	Ref(false, false, m, n, k, a, k, b, n, want, n, false)
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-4 {
			t.Fatalf("assembly C[%d] = %v, Ref %v", i, got[i], want[i])
		}
	}
	MatMul(false, false, m, n, k, a, k, b, n, via, n, false)
	for i := range via {
		if via[i] != got[i] {
			t.Fatalf("MatMul C[%d] = %v, the assembly gives %v: MatMul did not take the assembly path", i, via[i], got[i])
		}
	}
}
