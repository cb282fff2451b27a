package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/mqar"
	"github.com/spf13/cobra"
)

type mergeOpts struct {
	out     string
	json    bool
	quiet   bool
	partial bool
}

func newMergeCmd(e *env) *cobra.Command {
	o := &mergeOpts{}
	c := &cobra.Command{
		Use:   "merge SHARD.csv...",
		Short: "Join the mqar.csv files of retrieval shards into one table",
		Long: `Join the mqar.csv files that 'attnlab retrieval --shard i/n' wrote (on one machine or
many) into one CSV, sorted by grid cell. The columns must match; a cell that appears
in two files must have the same result. Beside the merged CSV it draws the
accuracy-vs-kv-pairs figure, a panel per d_model (mqar.png), and prints the summary.`,
		Example: `  attnlab merge shard0/mqar.csv shard1/mqar.csv --out merged.csv`,
		Args:    cobra.MinimumNArgs(1),
		RunE:    func(_ *cobra.Command, args []string) error { return runMerge(e, o, args) },
	}
	c.Flags().StringVar(&o.out, "out", "attnlab-out/retrieval/merged.csv", "merged CSV file (plots are written beside it)")
	c.Flags().BoolVar(&o.json, "json", false, "print the merged table as JSON")
	c.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors")
	c.Flags().BoolVar(&o.partial, "partial", false, "write the merge even when shards or cells are missing (they are listed on stderr)")
	return c
}

func runMerge(e *env, o *mergeOpts, paths []string) error {
	if !strings.HasSuffix(o.out, ".csv") {
		return cli.Usagef("--out must name a .csv file, got %q", o.out)
	}
	dir := filepath.Dir(o.out)
	for _, p := range []string{o.out, filepath.Join(dir, "mqar.png")} {
		if err := report.CheckTarget(p); err != nil {
			return cli.Usagef("--out: %v", strings.TrimPrefix(err.Error(), "report: "))
		}
	}
	for _, p := range paths {
		if _, _, same := mqar.SameFiles([]string{o.out, p}); same {
			return cli.Usagef("--out %s is the shard %s: merging would overwrite it", o.out, p)
		}
	}
	merged, runs, err := mqar.ReadShards(paths)
	if err != nil {
		return err
	}
	if gap := mqar.Completeness(merged, runs); gap != "" {
		if !o.partial {
			return fmt.Errorf("merge: %s (--partial writes it anyway)", gap)
		}
		fmt.Fprintf(e.stderr, "merge: %s; writing the partial merge\n", gap)
	}
	merged.Title = fmt.Sprintf("Trained MQAR, %d cells merged from %d files", len(merged.Rows), len(paths))
	if err := report.WriteFileAtomic(o.out, merged.WriteCSV); err != nil {
		return err
	}
	path := filepath.Join(dir, "mqar.png")
	if err := report.WriteFileAtomic(path, func(w io.Writer) error { return mqar.Chart(merged).Render(w, "png") }); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if o.json {
		return report.WriteJSON(e.stdout, merged)
	}
	if o.quiet {
		return nil
	}
	if err := e.render(mqar.Summary(merged)); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "merged %d cells from %d files into %s\n", len(merged.Rows), len(paths), o.out)
	return nil
}
