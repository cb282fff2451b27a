package model

import (
	"fmt"
	"strings"
)

// Interventions are Hooks built for the common experiments: ablating a head,
// patching an activation from another run, replacing an attention pattern.
// They work on any per-head hook point: hook_q, hook_k, hook_v, hook_rot_q,
// hook_rot_k and hook_z ([B, T, H, E], head axis 2) and hook_pattern
// ([B, H, T, T], head axis 1).

// HeadAxis returns the head axis of a per-head hook point, or -1.
func HeadAxis(name string) int {
	for _, s := range []string{"attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_z", "attn.hook_rot_q", "attn.hook_rot_k"} {
		if strings.HasSuffix(name, s) {
			return 2
		}
	}
	if strings.HasSuffix(name, "attn.hook_pattern") || strings.HasSuffix(name, "attn.hook_attn_scores") {
		return 1
	}
	return -1
}

// headBlocks calls f with each contiguous block of head h in t (shape with
// the head on axis) and the index b of the batch element it belongs to.
func headBlocks(t *Tensor, axis, h int, f func(b int, block []float32)) {
	outer, inner := 1, 1
	for _, d := range t.Shape[:axis] {
		outer *= d
	}
	for _, d := range t.Shape[axis+1:] {
		inner *= d
	}
	H := t.Shape[axis]
	perBatch := outer / t.Shape[0]
	for o := range outer {
		s := (o*H + h) * inner
		f(o/perBatch, t.Data[s:s+inner])
	}
}

func checkHead(name string, t *Tensor, head int) int {
	axis := HeadAxis(name)
	if axis < 0 {
		panic(fmt.Sprintf("model: %q is not a per-head hook point", name))
	}
	if head < 0 || head >= t.Shape[axis] {
		panic(fmt.Sprintf("model: head %d out of range for %q with %d heads", head, name, t.Shape[axis]))
	}
	return axis
}

// ZeroAblate sets head's part of the activation at name to zero (for
// hook_z: the head writes nothing but b_O's share).
func ZeroAblate(name string, head int) Hook {
	return Hook{Name: name, Fn: func(t *Tensor) {
		headBlocks(t, checkHead(name, t, head), head, func(_ int, blk []float32) { clear(blk) })
	}}
}

// MeanAblate replaces head's part of the activation at name by its mean over
// the batch, position by position (mean ablation over the evaluation batch,
// as in Olsson et al. 2022 and TransformerLens tutorials).
func MeanAblate(name string, head int) Hook {
	return Hook{Name: name, Fn: func(t *Tensor) {
		axis := checkHead(name, t, head)
		B := t.Shape[0]
		var sum []float64
		var blocks [][]float32
		headBlocks(t, axis, head, func(_ int, blk []float32) { blocks = append(blocks, blk) })
		per := len(blocks) / B // blocks per batch element, in order
		sum = make([]float64, per*len(blocks[0]))
		for i, blk := range blocks {
			row := sum[(i%per)*len(blk):]
			for j, v := range blk {
				row[j] += float64(v)
			}
		}
		for i, blk := range blocks {
			row := sum[(i%per)*len(blk):]
			for j := range blk {
				blk[j] = float32(row[j] / float64(B))
			}
		}
	}}
}

// Patch replaces the activation at name by the same activation of another
// run (from its cache): the whole tensor, or only the given heads. The two
// runs must have the same batch shape.
func Patch(name string, from Cache, heads ...int) Hook {
	return Hook{Name: name, Fn: func(t *Tensor) {
		src, ok := from[name]
		if !ok {
			panic(fmt.Sprintf("model: Patch: the source cache has no %q", name))
		}
		if len(src.Data) != len(t.Data) {
			panic(fmt.Sprintf("model: Patch: %q has shape %v in the source, %v here", name, src.Shape, t.Shape))
		}
		if len(heads) == 0 {
			copy(t.Data, src.Data)
			return
		}
		for _, h := range heads {
			axis := checkHead(name, t, h)
			var dst [][]float32
			headBlocks(t, axis, h, func(_ int, blk []float32) { dst = append(dst, blk) })
			i := 0
			headBlocks(src, axis, h, func(_ int, blk []float32) { copy(dst[i], blk); i++ })
		}
	}}
}

// ReplacePattern makes head of layer attend by pattern: [T, T] for every
// sequence, or [B, T, T] per sequence. z is then computed from it.
func ReplacePattern(layer, head int, pattern *Tensor) Hook {
	name := HookPattern(layer)
	return Hook{Name: name, Fn: func(t *Tensor) {
		axis := checkHead(name, t, head)
		T := t.Shape[2]
		headBlocks(t, axis, head, func(b int, blk []float32) {
			switch len(pattern.Data) {
			case T * T:
				copy(blk, pattern.Data)
			case t.Shape[0] * T * T:
				copy(blk, pattern.Data[b*T*T:(b+1)*T*T])
			default:
				panic(fmt.Sprintf("model: ReplacePattern: pattern has shape %v, want [%d %d] or [%d %d %d]", pattern.Shape, T, T, t.Shape[0], T, T))
			}
		})
	}}
}
