package safetensors_test

import (
	"bytes"
	"fmt"

	"github.com/attnlab/attnlab/safetensors"
)

func Example() {
	var buf bytes.Buffer
	err := safetensors.Encode(&buf, []safetensors.WriteTensor{
		{Name: "embed.W_E", Shape: []int{2, 3}, F32: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "tokens", Shape: []int{1, 2}, I64: []int64{0, 1}},
	}, map[string]string{"config": `{"d_model": 3}`})
	if err != nil {
		fmt.Println(err)
		return
	}

	f, err := safetensors.Parse(buf.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Metadata["config"])
	for _, t := range f.Tensors {
		fmt.Println(t.Name, t.DType, t.Shape, t.NumElements())
	}
	w, _ := f.Get("embed.W_E")
	vals, _ := w.Float32()
	fmt.Println(vals)
	// Output:
	// {"d_model": 3}
	// embed.W_E F32 [2 3] 6
	// tokens I64 [1 2] 2
	// [1 2 3 4 5 6]
}

func ExampleParse_error() {
	_, err := safetensors.Parse([]byte{0x10, 0, 0, 0, 0, 0, 0, 0, '{', '}'})
	fmt.Println(err)
	// Output:
	// safetensors: header length 16 is larger than the 2 bytes that follow it in the file
}
