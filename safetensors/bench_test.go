package safetensors

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkParseFloat32_64KB(b *testing.B) { benchParseFloat32(b, 64<<10) }
func BenchmarkParseFloat32_1MB(b *testing.B)  { benchParseFloat32(b, 1<<20) }

// benchParseFloat32 parses a file of about size bytes of F32 data in 16
// tensors and converts every tensor to []float32.
func benchParseFloat32(b *testing.B, size int) {
	rng := rand.New(rand.NewPCG(1, 1))
	const nTensors = 16
	per := size / 4 / nTensors
	ws := make([]WriteTensor, nTensors)
	for i := range ws {
		v := make([]float32, per)
		for j := range v {
			v[j] = rng.Float32()
		}
		ws[i] = WriteTensor{Name: fmt.Sprintf("blocks.%d.attn.W_Q", i), Shape: []int{per / 64, 64}, F32: v}
	}
	var buf bytes.Buffer
	if err := Encode(&buf, ws, map[string]string{"config": "{}"}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range f.Tensors {
			if _, err := t.Float32(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
