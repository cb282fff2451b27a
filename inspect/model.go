package inspect

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
)

// Tables are config.csv (the TransformerLens config fields, the attention
// kind of every layer and the parameter count), parameters.csv (every
// tensor's shape, element count, Frobenius norm and RMS = norm/√numel) and
// metadata.csv (attnlab's metadata, by key); name is the model's name.
func Tables(m *model.Model, name string) []*report.Table {
	c := m.Config
	cfg := report.NewTable("config", "Model "+name, report.Column{Name: "field"}, report.Column{Name: "value"})
	kinds := make([]string, c.NLayers)
	for l := range kinds {
		kinds[l] = c.AttentionKind(l)
	}
	for _, kv := range [][2]any{{"n_layers", c.NLayers}, {"d_model", c.DModel}, {"n_heads", c.NHeads}, {"d_head", c.DHead},
		{"d_mlp", c.DMLP}, {"d_vocab", c.DVocab}, {"n_ctx", c.NCtx}, {"act_fn", c.ActFn},
		{"normalization_type", c.NormalizationType}, {"positional_embedding_type", c.PositionalEmbeddingType},
		{"attention", strings.Join(kinds, ",")}, {"parameters", m.NumParams()}} {
		cfg.Add(kv[0], fmt.Sprint(kv[1]))
	}
	params := report.NewTable("parameters", "Parameters", report.Column{Name: "name"}, report.Column{Name: "shape"},
		report.Column{Name: "numel"}, report.Column{Name: "norm", Format: "%.4f"}, report.Column{Name: "rms", Format: "%.4f"})
	for _, t := range m.Params.Tensors {
		n := model.Norm(t.Data)
		params.Add(t.Name, fmt.Sprint(t.Shape), len(t.Data), n, n/math.Sqrt(float64(max(len(t.Data), 1))))
	}
	meta := report.NewTable("metadata", "Metadata", report.Column{Name: "key"}, report.Column{Name: "value"})
	keys := make([]string, 0, len(m.Meta))
	for k := range m.Meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		meta.Add(k, m.Meta[k]) // long values wrap to the terminal's width
	}
	return []*report.Table{cfg, params, meta}
}
