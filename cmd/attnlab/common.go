package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
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
	if err := checkFormat(o.format); err != nil {
		return err
	}
	return checkOutDir(o.out)
}

// checkFormat validates --format.
func checkFormat(format string) error {
	switch format {
	case "", "png", "svg", "pdf":
		return nil
	}
	return usagef("--format must be png, svg or pdf, got %q", format)
}

// checkOutDir refuses an output folder path that is empty or names
// something other than a folder.
func checkOutDir(dir string) error {
	if dir == "" {
		return usagef("--out must name a folder, got an empty string")
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return usagef("--out %s exists and is not a folder", dir)
	}
	return nil
}

// finish writes every table and figure of r atomically into o.out, the
// manifest beside them (removing the previous run's files, which it says
// on stderr), and prints the headline tables fitted to the terminal (with
// --wide every column of their full versions; with --json all tables as
// JSON).
func (e *env) finish(o outFlags, r report.Results) error {
	if err := o.check(); err != nil {
		return err
	}
	out := report.NewOutput(o.out)
	format := o.format
	if format == "png" {
		format = ""
	}
	if err := e.ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	if err := out.WriteResults(r, format); err != nil {
		return err
	}
	m := report.Manifest{Command: e.args, Version: version(), Model: r.Model, Seed: o.seed, Extra: r.Extra,
		Created: time.Now().UTC().Format(time.RFC3339)}
	if o.html {
		if err := out.WriteHTMLReport(strings.Join(e.args, " "), r, m); err != nil {
			return err
		}
	}
	if err := e.ctx.Err(); err != nil {
		return err // interrupted while writing: no manifest for a partial run
	}
	if err := out.WriteManifest(m); err != nil {
		return err
	}
	if len(out.Removed) > 0 && !o.quiet {
		fmt.Fprintln(e.stderr, removedLine(o.out, out.Removed, e.width))
	}
	if o.json {
		return report.WriteJSON(e.stdout, r.Tables...)
	}
	if o.quiet {
		return nil
	}
	show := r.Headline
	if o.wide {
		// The full version of each headline table: the table of the same
		// name among those written.
		show = make([]*report.Table, len(r.Headline))
		for i, h := range r.Headline {
			show[i] = h
			for _, t := range r.Tables {
				if t.Name == h.Name {
					show[i] = t
				}
			}
		}
	}
	if err := e.render(o.wide, "--wide shows every column, the CSV files hold them all", show...); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %d files to %s\n", len(out.Files)+1, o.out)
	return nil
}

// removedLine says, in one line of at most width columns, which of the
// previous run's files were removed from dir.
func removedLine(dir string, names []string, width int) string {
	line := fmt.Sprintf("%s: removed the previous run's %d files:", dir, len(names))
	for i, n := range names {
		if len(line)+len(n)+4 > width && i > 0 {
			return line + " …"
		}
		sep := " "
		if i > 0 {
			line += ","
		}
		line += sep + n
	}
	return line
}

// modelFlags select a model: a weights file (with an optional config.json
// beside it) or an embedded fixture.
type modelFlags struct {
	path   string
	config string
}

func (m *modelFlags) add(c *cobra.Command, what string) {
	c.Flags().StringVar(&m.path, "model", "", what)
	c.Flags().StringVar(&m.config, "config", "", "TransformerLens config.json for a state dict saved without attnlab metadata")
}

// load returns the chosen model and a name for manifests; def names the
// embedded fixture used when --model is not given.
func (m *modelFlags) load(def string) (*model.Model, string, error) {
	if m.path == "" {
		if m.config != "" {
			return nil, "", usagef("--config needs --model: it describes a weights file")
		}
		mod, err := fixtures.Model(def)
		return mod, "embedded:" + def, err
	}
	if strings.HasPrefix(m.path, "embedded:") {
		if m.config != "" {
			return nil, "", usagef("--config describes a weights file; %s carries its own config", m.path)
		}
		mod, err := fixtures.Model(strings.TrimPrefix(m.path, "embedded:"))
		return mod, m.path, err
	}
	mod, err := model.Load(m.path, m.config)
	if errors.Is(err, model.ErrNoConfig) {
		err = fmt.Errorf("%w with --config", err)
	}
	return mod, m.path, err
}

// intList parses "4,8,16" for flag name.
func intList(name, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, usagef("%s must be a comma-separated list of positive integers, got %q", name, s)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseBOS reads a --bos value: "" (not given), "none" (explicitly none) or
// a token id below vocab. It returns the token and whether one was given.
func parseBOS(s string, vocab int) (tok int32, ok bool, err error) {
	switch s {
	case "", "none":
		return 0, false, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v >= vocab {
		return 0, false, usagef("--bos must be a token id in [0, %d) or none, got %q", vocab, s)
	}
	return int32(v), true, nil
}

// parseHeads reads a comma-separated list of heads ("L1H3,L0H1") given to
// flag; "" is none.
func parseHeads(flag, s string) ([]model.HeadID, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var heads []model.HeadID
	for _, f := range strings.Split(s, ",") {
		h, err := model.ParseHeadID(strings.TrimSpace(f))
		if err != nil {
			return nil, usagef("%s: %q is not a head: write L{layer}H{head}, e.g. L1H3", flag, strings.TrimSpace(f))
		}
		heads = append(heads, h)
	}
	return heads, nil
}
