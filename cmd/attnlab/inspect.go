package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/spf13/cobra"
)

func newInspectCmd(e *env) *cobra.Command {
	var cfgPath string
	var jsonOut bool
	c := &cobra.Command{
		Use:   "inspect MODEL.safetensors",
		Short: "Show a model's config, parameters (shapes, norms) and metadata",
		Example: `  attnlab inspect attnlab-out/train/model.safetensors
  attnlab inspect embedded:induction-2l
  attnlab inspect state_dict.safetensors --config config.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			mf := modelFlags{path: args[0], config: cfgPath}
			m, name, err := mf.load("")
			if err != nil {
				return err
			}
			tables := inspectTables(m, name)
			if jsonOut {
				return report.WriteJSON(e.stdout, tables...)
			}
			return e.render(false, "", tables...)
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "TransformerLens config.json for a state dict saved without attnlab metadata")
	c.Flags().BoolVar(&jsonOut, "json", false, "print the tables as JSON")
	return c
}

func inspectTables(m *model.Model, name string) []*report.Table {
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
		params.Add(t.Name, fmt.Sprint(t.Shape), len(t.Data), n, n/sqrtf(len(t.Data)))
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
