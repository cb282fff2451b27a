//go:build gemmprobe && amd64 && !noasm

package gemm

import (
	"strings"
	"testing"
)

// TestProbe: under the gemmprobe tag, a MatMulHeads16 and a scores call are
// recorded and reported with a positive fraction of the peak.
func TestProbe(t *testing.T) {
	if !haveAsm {
		t.Skip("no assembly kernels on this CPU")
	}
	const T, H = 65, 4
	a, b, c := make([]float32, H*T*T), make([]float32, T*192), make([]float32, T*T)
	for i := range a {
		a[i] = 1
	}
	MatMulHeads16(LowerA, H, T, a, T*T, b, 192, c[:T*64], 64)
	MatMulTri(LowerC, false, true, T, T, 16, b, 192, b[16:], 192, c, T, false)
	probeState.Lock()
	rep := probeReport()
	probeState.Unlock()
	for _, want := range []string{"heads LowerA", "scores LowerC", "of peak"} {
		if !strings.Contains(rep, want) {
			t.Fatalf("probe report lacks %q:\n%s", want, rep)
		}
	}
}
