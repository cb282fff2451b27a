package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/internal/buildinfo"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/sinks"
	"github.com/spf13/cobra"
)

// outFlags are the flags every command that writes results shares.
type outFlags struct {
	out    string
	seed   uint64
	json   bool
	quiet  bool
	wide   bool
	html   bool   // also write report.html
	format string // figure format: png, svg or pdf
}

func (o *outFlags) add(c *cobra.Command, defaultOut string) {
	c.Flags().StringVar(&o.out, "out", defaultOut, "output folder (one CSV per table, one PNG per figure, manifest.json)")
	c.Flags().Uint64Var(&o.seed, "seed", 1, "random seed: the same seed gives the same numbers on any machine")
	c.Flags().BoolVar(&o.json, "json", false, "print the tables as JSON instead of terminal tables")
	c.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors (files are still written)")
	c.Flags().BoolVar(&o.wide, "wide", false, "print every column of the tables, however wide (default: the headline columns that fit the terminal)")
	c.Flags().StringVar(&o.format, "format", "png", "figure format: png, svg or pdf")
	c.Flags().BoolVar(&o.html, "html", true, "also write report.html: one self-contained page with every figure, table and the manifest (--html=false to skip)")
	c.PreRunE = func(*cobra.Command, []string) error { return o.check() }
}

// check validates the flags before a command does any work: the figure
// format, and --out, which must name a folder that is absent or a folder.
func (o *outFlags) check() error {
	if err := report.CheckFormat(o.format); err != nil {
		return cli.FlagError(err, nil)
	}
	return cli.FlagError(report.CheckDir(o.out), nil)
}

// finish hands r to report.Publish: every table and figure written into
// --out with the manifest, the headline tables printed.
func (e *env) finish(o outFlags, r report.Results) error {
	if err := o.check(); err != nil {
		return err
	}
	return report.Publish{Dir: o.out, Format: o.format, HTML: o.html, JSON: o.json, Quiet: o.quiet, Wide: o.wide, Width: e.width,
		Note: "--wide shows every column, the CSV files hold them all", Stdout: e.stdout, Stderr: e.stderr,
		Manifest: report.Manifest{Command: e.args, Version: buildinfo.Version(), Seed: o.seed}}.Write(e.ctx, r)
}

// modelFlags select a model: a weights file (with an optional config.json
// beside it) or, without --model, the embedded fixture def.
type modelFlags struct {
	path, config, def string
}

// defaultModelKey annotates --model with the command's embedded default,
// for completion.
const defaultModelKey = "attnlab_default_model"

func (m *modelFlags) add(c *cobra.Command, def, what string) {
	m.def = def
	c.Flags().StringVar(&m.path, "model", "", what)
	_ = c.Flags().SetAnnotation("model", defaultModelKey, []string{def})
	c.Flags().StringVar(&m.config, "config", "", "TransformerLens config.json for a state dict saved without attnlab metadata")
}

// load returns the chosen model and a name for manifests; def names the
// embedded fixture used when --model is not given.
func (m *modelFlags) load() (*model.Model, string, error) {
	path := m.path
	switch {
	case path == "" && m.config != "":
		return nil, "", cli.Usagef("--config needs --model: it describes a weights file")
	case path == "":
		path = "embedded:" + m.def
	case strings.HasPrefix(path, "embedded:") && m.config != "":
		return nil, "", cli.Usagef("--config describes a weights file; %s carries its own config", m.path)
	}
	mod, name, err := fixtures.Open(path, m.config)
	if errors.Is(err, model.ErrNoConfig) {
		err = fmt.Errorf("%w with --config", err)
	}
	return mod, name, err
}

// bosSource says which first token was used and why, for stderr.
func bosSource(m *model.Model, flag string, bos sinks.BOS) string {
	own, has := m.SinkToken()
	switch {
	case flag != "" && bos.On:
		return fmt.Sprintf("BOS %s (--bos)", bos)
	case flag != "":
		return "none (--bos none): windows start with text"
	case has:
		return fmt.Sprintf("BOS %d, the model's own (trained with it; --bos none to leave it out)", own)
	}
	return "none (the model has no BOS of its own; --bos ID to prepend one)"
}
