package main

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/studies/s2a"
	"github.com/spf13/cobra"
)

type s2aOpts struct {
	outFlags
	answerer, instructed, regenerator string
	train                             bool
	rates                             string
	facts, examples, workers          int
	threshold                         float64
}

func newS2ACmd(e *env) *cobra.Command {
	o := &s2aOpts{}
	c := &cobra.Command{
		Use:   "s2a",
		Short: "System 2 Attention: regenerate a context without its distractors, then answer",
		Long: `System 2 Attention (Weston and Sukhbaatar 2023) on distractor recall: contexts of
facts "k v" hold opinion spans "[ k v' ]" that repeat the queried key with a wrong
value, and irrelevant pairs of another topic, at a swept distractor rate. A tiny
answerer trained on clean contexts answers "? k" under five conditions: baseline
(the full context), oracle (the clean context), s2a (a regenerator rewrites the
context without distractors, token by token with the KV-cache decoder, and the
answerer sees only the rewrite), s2a-keeporig (the original and the rewrite), and
instructed (an "ignore opinions" token, with a model trained to know it; its
accuracy without the token is reported as instructed-notoken). It reports
accuracy with 95% bootstrap intervals, the attention its retrieval heads put on
distractor tokens (the mechanism), the regenerator's errors and what S2A costs.
Without model flags it uses the embedded models; --train retrains them with the
recipes their files record (minutes).`,
		Example: `  attnlab s2a
  attnlab s2a --rates 0,0.5 --examples 200 --json
  attnlab s2a --train --out attnlab-out/s2a-retrained`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runS2A(e, o) },
	}
	o.outFlags.add(c, "attnlab-out/s2a")
	f := c.Flags()
	f.StringVar(&o.answerer, "answerer", "", "answerer weights (default: embedded:s2a-answerer)")
	f.StringVar(&o.instructed, "instructed", "", "model trained with the ignore token (default: embedded:s2a-instructed)")
	f.StringVar(&o.regenerator, "regenerator", "", "regenerator weights (default: embedded:s2a-regenerator)")
	f.BoolVar(&o.train, "train", false, "retrain the three models with the embedded models' recipes, save them in OUT/models, then evaluate")
	f.StringVar(&o.rates, "rates", "0,0.25,0.4,0.5,0.6", "distractor rates (share of context items), each giving a whole number of distractors")
	f.IntVar(&o.facts, "facts", 6, "facts per context")
	f.IntVar(&o.examples, "examples", 1000, "contexts per rate")
	f.Float64Var(&o.threshold, "threshold", 0.3, "retrieval score at or above which a head counts as a retrieval head")
	f.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "goroutines (results do not depend on it)")
	return c
}

func runS2A(e *env, o *s2aOpts) error {
	setup := s2a.DefaultSetup()
	setup.Facts, setup.Examples, setup.Seed = o.facts, o.examples, o.seed
	switch {
	case !(o.threshold > 0 && o.threshold <= 1):
		return cli.Usagef("--threshold must be in (0, 1], got %v", o.threshold)
	case o.workers < 1:
		return cli.Usagef("--workers must be positive, got %d", o.workers)
	case o.train && (o.answerer != "" || o.instructed != "" || o.regenerator != ""):
		return cli.Usagef("--train trains its own models: drop --answerer, --instructed and --regenerator")
	}
	rates, err := s2a.ParseRates(o.rates)
	if err != nil {
		return cli.FlagError(err, nil)
	}
	setup.Rates = rates
	if _, err := setup.Sets(); err != nil { // validate before loading or training anything
		return cli.FlagError(badinput.Wrap(err), map[string]string{"min_facts": "--facts", "max_facts": "--facts"})
	}
	var models s2a.Models
	names := map[string]string{}
	if o.train {
		var progress io.Writer = e.stderr
		if o.quiet {
			progress = nil
		}
		if models, err = s2a.TrainAll(e.ctx, s2a.Recipes(), progress); err != nil {
			return err
		}
		if names, err = s2a.Save(models, filepath.Join(o.out, "models")); err != nil {
			return err
		}
	} else {
		for _, p := range []struct {
			flag, path, def string
			dst             **model.Model
		}{{"--answerer", o.answerer, "s2a-answerer", &models.Answerer}, {"--instructed", o.instructed, "s2a-instructed", &models.Instructed},
			{"--regenerator", o.regenerator, "s2a-regenerator", &models.Regenerator}} {
			m, name, err := (&modelFlags{path: p.path, def: p.def}).load()
			if err != nil {
				return fmt.Errorf("%s: %w", p.flag, err)
			}
			*p.dst, names[p.def] = m, name
		}
	}
	res, err := s2a.Results(e.ctx, models, setup, probes.S2AOptions{HeadThreshold: o.threshold, Workers: o.workers})
	if err != nil {
		return err
	}
	res.Model, res.Extra["models"] = names["s2a-answerer"], names
	return e.finish(o.outFlags, res)
}
