package report

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"strings"
)

// Renderer draws a figure in a format ("png", "svg" or "pdf"). Every figure
// of package plots (Heatmap, LineChart, BarChart) is a Renderer.
type Renderer interface {
	Render(w io.Writer, format string) error
}

// RenderFunc adapts a function to Renderer.
type RenderFunc func(w io.Writer, format string) error

// Render calls f.
func (f RenderFunc) Render(w io.Writer, format string) error { return f(w, format) }

// Figure is a figure with the file name it is saved under.
type Figure struct {
	Name string   // file name with extension, e.g. "induction_scores.png"
	Fig  Renderer // what to draw
}

// Results is what an analysis or a study hands to a command: every table
// (each written as CSV), the ones a terminal shows, the figures, and what
// the manifest records about the run.
type Results struct {
	Tables   []*Table       // all written as CSV, in order
	Headline []*Table       // printed on the terminal, in order
	Figures  []Figure       // written beside the tables
	Patterns []PatternView  // attention patterns of the heads the analysis names (the HTML report's view)
	Model    string         // the model measured, for the manifest ("" for none)
	Extra    map[string]any // command-specific settings for the manifest
	// Interrupted, when set, marks the results of a run stopped early (the
	// manifest records it): the curves so far, not the finished outputs.
	Interrupted *Interruption
}

// Append adds o's tables, headline tables and figures after r's, and o's
// Extra entries to r's (o wins on a shared key). r.Model is kept unless it
// is empty.
func (r *Results) Append(o Results) {
	r.Tables = append(r.Tables, o.Tables...)
	r.Headline = append(r.Headline, o.Headline...)
	r.Figures = append(r.Figures, o.Figures...)
	r.Patterns = append(r.Patterns, o.Patterns...)
	if r.Model == "" {
		r.Model = o.Model
	}
	if len(o.Extra) > 0 {
		if r.Extra == nil {
			r.Extra = map[string]any{}
		}
		maps.Copy(r.Extra, o.Extra)
	}
}

// WriteResults writes every table of r as CSV and every figure into the
// output folder. format ("png", "svg" or "pdf"; "" keeps each figure's own
// extension) replaces the extension of every figure's file name.
func (o *Output) WriteResults(r Results, format string) error {
	for _, t := range r.Tables {
		if _, err := o.WriteTable(t); err != nil {
			return err
		}
	}
	for _, f := range r.Figures {
		name := f.Name
		if format != "" {
			name = strings.TrimSuffix(name, filepath.Ext(name)) + "." + format
		}
		ext := strings.TrimPrefix(filepath.Ext(name), ".")
		if _, err := o.WriteFile(name, func(w io.Writer) error { return f.Fig.Render(w, ext) }); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}
