package model

import "github.com/attnlab/attnlab/safetensors"

// SaveCache writes a run of m on tokens [B, T] as a safetensors file that
// safetensors.torch.load_file reads: "tokens" [B, T] (int64), "logits"
// [B, T, V], "loss_per_token" [B, T−1] and every cached activation under its
// hook name, in forward order; the config travels in the metadata.
func (m *Transformer[F]) SaveCache(path string, tokens []int32, out *Output) error {
	tok := make([]int64, len(tokens))
	for i, t := range tokens {
		tok[i] = int64(t)
	}
	ts := []safetensors.WriteTensor{
		{Name: "tokens", Shape: []int{out.Logits.Shape[0], out.Logits.Shape[1]}, I64: tok},
		{Name: "logits", Shape: out.Logits.Shape, F32: out.Logits.Data},
		{Name: "loss_per_token", Shape: out.Losses.Shape, F32: out.Losses.Data},
	}
	for _, n := range m.HookNames() {
		if t, ok := out.Cache[n]; ok {
			ts = append(ts, safetensors.WriteTensor{Name: n, Shape: t.Shape, F32: t.Data})
		}
	}
	return safetensors.WriteFile(path, ts, map[string]string{metaConfig: string(m.Config.JSON())})
}
