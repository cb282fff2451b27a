// Package safetensors reads and writes the safetensors file format, the
// tensor container used by Hugging Face and TransformerLens checkpoints.
// It knows nothing about models: it maps names to typed, shaped byte ranges.
//
// # Format
//
// A file is three parts:
//
//	[8 bytes]  N, the header length, a little-endian uint64
//	[N bytes]  the header: a UTF-8 JSON object
//	[rest]     the byte buffer holding every tensor's data, little endian
//
// The header maps each tensor name to its description, plus an optional
// "__metadata__" object of string values:
//
//	{"__metadata__": {"config": "{...}"},
//	 "embed.W_E": {"dtype": "F32", "shape": [50, 32], "data_offsets": [0, 6400]}}
//
// data_offsets are [begin, end) byte offsets relative to the start of the
// byte buffer, not of the file. Shapes are row-major, outermost first, as in
// PyTorch; a shape of [] is a scalar holding one element.
//
// # Reading
//
// [Parse] validates the whole header before returning, so every [Tensor] of a
// returned [File] is safe to convert: the header length is at most 100 MB
// (100,000,000 bytes, the reference implementation's limit) and within the
// file, the header is valid UTF-8 JSON with no duplicate keys, every dtype is
// known, every shape has non-negative dimensions whose product fits in an
// int, every byte range lies within the buffer and has exactly
// elements × dtype-size bytes, and no two tensors share a byte. Sizes are
// checked with overflow-safe arithmetic before anything is allocated from
// them, and malformed input gives an error, never a panic.
//
// Holes are allowed: the reference implementation also demands that the
// tensors cover the byte buffer contiguously, from 0 to its end. This
// package accepts gaps between tensors and unused bytes after the last one,
// because they cannot make a read go wrong and some writers align tensor data.
// Files written by [Encode] never have holes, so the reference reader
// accepts them.
//
// Tensors returned by [Parse] share memory with the input slice: do not
// modify it afterwards. The conversion methods ([Tensor.Float32],
// [Tensor.Float64], [Tensor.Int64]) always return fresh slices.
//
// # Writing
//
// [Encode] writes F32, F64 and I64 tensors in the order given, with a header
// whose keys are sorted (so the output is byte-for-byte deterministic) and
// padded with spaces to a multiple of 8 bytes, as the reference
// implementation does. [WriteFile] writes a file atomically: a temporary
// file in the same directory, fsync, rename.
//
// Errors are one sentence starting with "safetensors: "; errors about a
// malformed file are a [*FormatError].
package safetensors
