package report

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Publish says how a command's Results reach its user: the files written
// into Dir and what is printed.
type Publish struct {
	Dir    string // output folder
	Format string // figure format: "png" or "" (each figure's own), "svg" or "pdf"
	HTML   bool   // also write report.html
	JSON   bool   // print every table as JSON instead of the headline tables
	Quiet  bool   // print nothing (files are still written)
	Wide   bool   // print every column of the full tables
	Width  int    // terminal columns the tables are fitted to
	Note   string // added to the line naming the columns left off
	// Manifest holds the run's Command, Version and Seed; Write adds the
	// model, the extra entries, the files and the time.
	Manifest       Manifest
	Stdout, Stderr io.Writer
}

// Write writes every table and figure of r atomically into p.Dir, the HTML
// report and the manifest beside them (removing the previous run's files,
// which it says on p.Stderr), and prints the headline tables fitted to
// p.Width (with Wide every column of their full versions: the table of the
// same name among r.Tables; with JSON all tables as JSON). When ctx is
// cancelled it stops before writing anything or before the manifest, so
// an interrupted run leaves no manifest.
func (p Publish) Write(ctx context.Context, r Results) error {
	out := NewOutput(p.Dir)
	format := p.Format
	if format == "png" {
		format = ""
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	if err := out.WriteResults(r, format); err != nil {
		return err
	}
	m := p.Manifest
	m.Model, m.Extra, m.Interrupted, m.Created = r.Model, r.Extra, r.Interrupted, time.Now().UTC().Format(time.RFC3339)
	if p.HTML {
		if err := out.WriteHTMLReport(strings.Join(m.Command, " "), r, m); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted while writing: no manifest for a partial run
	}
	if err := out.WriteManifest(m); err != nil {
		return err
	}
	if len(out.Removed) > 0 && !p.Quiet {
		fmt.Fprintln(p.Stderr, RemovedLine(p.Dir, out.Removed, p.Width))
	}
	if p.JSON {
		return WriteJSON(p.Stdout, r.Tables...)
	}
	if p.Quiet {
		return nil
	}
	show := r.Headline
	if p.Wide {
		show = make([]*Table, len(r.Headline))
		for i, h := range r.Headline {
			show[i] = h
			for _, t := range r.Tables {
				if t.Name == h.Name {
					show[i] = t
				}
			}
		}
	}
	if err := Print(p.Stdout, RenderOptions{Width: p.Width, Wide: p.Wide, Note: p.Note}, show...); err != nil {
		return err
	}
	fmt.Fprintf(p.Stdout, "wrote %d files to %s\n", len(out.Files)+1, p.Dir)
	return nil
}

// Print renders each table with opt, followed by a blank line.
func Print(w io.Writer, opt RenderOptions, tables ...*Table) error {
	for _, t := range tables {
		if err := t.RenderWith(w, opt); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return nil
}

// RemovedLine says, in one line of at most width columns, which of the
// previous run's files were removed from dir.
func RemovedLine(dir string, names []string, width int) string {
	line := fmt.Sprintf("%s: removed the previous run's %d files:", dir, len(names))
	for i, n := range names {
		if len(line)+len(n)+4 > width && i > 0 {
			return line + " …"
		}
		if i > 0 {
			line += ","
		}
		line += " " + n
	}
	return line
}
