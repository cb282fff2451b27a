package reach

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
)

// Trainer runs a recorded attnlab train command line (args without
// "attnlab" and --out), writing the model to out, and returns the model.
// Only the command line knows its flags, so the caller provides it.
type Trainer func(args []string, out string) (*model.Model, error)

// Models returns the study's five models: the embedded ones, or with a
// trainer each retrained by the train command recorded in its embedded
// model (TrainArgs for a kind with none), into dir/FIXTURE/FIXTURE.safetensors
// (one folder per model: a training run's folder holds that run). log (nil
// for none) says what trains.
func Models(trainer Trainer, dir string, log io.Writer) ([]Model, error) {
	var ms []Model
	for _, s := range Specs() {
		emb, embErr := fixtures.Model(s.Fixture())
		if trainer == nil {
			if embErr != nil {
				return nil, embErr
			}
			ms = append(ms, Model{Spec: s, Model: emb})
			continue
		}
		args := TrainArgs(s.Kind)
		if embErr == nil && emb.Meta[model.MetaTrainedWith] != "" {
			args = strings.Fields(strings.TrimPrefix(emb.Meta[model.MetaTrainedWith], "attnlab "))
		}
		out := filepath.Join(dir, s.Fixture(), s.Fixture()+".safetensors")
		if log != nil {
			fmt.Fprintf(log, "training %s: attnlab %s\n", s.Fixture(), strings.Join(args, " "))
		}
		m, err := trainer(args, out)
		if err != nil {
			return nil, fmt.Errorf("training %s: %w", s.Fixture(), err)
		}
		ms = append(ms, Model{Spec: s, Model: m})
	}
	return ms, nil
}
