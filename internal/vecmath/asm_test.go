package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestAssemblyExercised fails on a CPU with AVX-512 when the kernels do not
// take the assembly path there (then every other test here would compare the
// pure-Go loops with themselves), and checks the assembly entry points
// directly against the references. Elsewhere it says, as a skip, that the
// assembly was not tested on this machine.
func TestAssemblyExercised(t *testing.T) {
	switch {
	case !asmBuilt:
		t.Skip("vecmath: built without the assembly kernels (not amd64, or -tags noasm): only the pure-Go kernels were tested")
	case !cpu.X86.HasAVX512F:
		t.Skip("vecmath: this CPU has no AVX-512: the assembly kernels were NOT tested; run go test on an AVX-512 machine")
	case !haveAsm:
		t.Fatal("vecmath: the CPU has AVX-512 but the kernels do not select the assembly path: the tests compared the pure-Go loops with the references")
	}
	const n = 77 // two full 16-lane blocks, a tail and more
	r := rand.New(rand.NewPCG(1, 2))
	x, got, want := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 4)
	}
	copy(got, x)
	copy(want, x)
	mx, sum := softmaxAsm(&got[0], n, 0.5)
	mxr, sumr := SoftmaxRowRef(want, 0.5)
	if mx != mxr || math.Abs(float64(sum-sumr)) > 1e-5*float64(sumr) {
		t.Errorf("softmaxAsm statistics (%v, %v), reference (%v, %v)", mx, sum, mxr, sumr)
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-6 {
			t.Fatalf("softmaxAsm[%d] = %v, reference %v", i, got[i], want[i])
		}
	}
	// The dispatcher runs the same assembly: bit for bit the direct call.
	viaRow := append([]float32(nil), x...)
	SoftmaxRow(viaRow, n, 0.5)
	for i := range viaRow {
		if viaRow[i] != got[i] {
			t.Fatalf("SoftmaxRow[%d] = %v, the assembly gives %v: the dispatcher did not take the assembly path", i, viaRow[i], got[i])
		}
	}
}
