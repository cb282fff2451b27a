package main

import (
	"github.com/attnlab/attnlab/inspect"
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
			m, name, err := mf.load()
			if err != nil {
				return err
			}
			tables := inspect.Tables(m, name)
			if jsonOut {
				return report.WriteJSON(e.stdout, tables...)
			}
			return e.render(tables...)
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "TransformerLens config.json for a state dict saved without attnlab metadata")
	c.Flags().BoolVar(&jsonOut, "json", false, "print the tables as JSON")
	return c
}
