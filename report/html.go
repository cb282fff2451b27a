package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
)

// PatternView is one head's attention pattern on one sequence, for the
// interactive view of the HTML report: Pattern[i*T+j] is the attention of
// query i to key j (row-major [T, T], rows summing to 1 for softmax).
type PatternView struct {
	Head    string   // "L1H3"
	Caption string   // what the sequence is, e.g. "[BOS, x×25, x×25], sequence 0"
	Tokens  []string // T token labels
	Pattern []float32
}

// HTMLFigure is a figure rendered as SVG, to be inlined.
type HTMLFigure struct {
	Name string // file name it was also written under, e.g. "composition_k.png"
	SVG  []byte
}

// HTMLPage is everything one self-contained report.html shows.
type HTMLPage struct {
	Title    string
	Manifest Manifest
	Tables   []*Table
	Figures  []HTMLFigure
	Patterns []PatternView
}

//go:embed htmlassets/report.css
var reportCSS string

//go:embed htmlassets/report.js
var reportJS string

var pageTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="cmd"><code>{{.Command}}</code></p>
</header>
<nav>
{{- if .Patterns}}<a href="#patterns">attention patterns</a>{{end}}
{{- range .Figures}} <a href="#{{.ID}}">{{.Name}}</a>{{end}}
{{- range .Tables}} <a href="#{{.ID}}">{{.Name}}.csv</a>{{end}}
 <a href="#manifest">manifest</a>
</nav>
{{- if .Patterns}}
<section id="patterns">
<h2>Attention patterns</h2>
<p class="note">Hover a token: the upper strip shades the keys it attends to (its row of the pattern), the lower strip the queries that attend to it (its column); the heatmap outlines both. Click a head to switch.</p>
<div id="heads" role="tablist"></div>
<p id="pattern-caption" class="note"></p>
<div class="pv">
<canvas id="heatmap" width="480" height="480" aria-label="attention pattern heatmap"></canvas>
<div class="strips">
<div class="strip-label">where <b id="sel-tok">a token</b> attends (query → keys)</div>
<div id="strip-row" class="strip"></div>
<div class="strip-label">what attends to it (queries → this key)</div>
<div id="strip-col" class="strip"></div>
</div>
</div>
<script type="application/json" id="pattern-data">{{.PatternJSON}}</script>
</section>
{{- end}}
{{- range .Figures}}
<section class="figure" id="{{.ID}}">
<h2>{{.Name}}</h2>
{{.SVG}}
</section>
{{- end}}
{{- range .Tables}}
<section class="table" id="{{.ID}}">
<h2>{{.Title}} <span class="file">{{.Name}}.csv</span></h2>
<table class="sortable">
<thead><tr>{{range .Header}}<th title="click to sort">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}<tr>{{range .}}<td{{if .Num}} class="num" data-v="{{.Sort}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end -}}
</tbody>
</table>
{{- if .Caption}}<p class="note">{{.Caption}}</p>{{end}}
</section>
{{- end}}
<section id="manifest">
<h2>manifest.json</h2>
<pre>{{.ManifestJSON}}</pre>
</section>
<script>{{.JS}}</script>
</body>
</html>
`))

type htmlCell struct {
	Text string
	Sort string
	Num  bool
}

type htmlTable struct {
	ID, Name, Title, Caption string
	Header                   []string
	Rows                     [][]htmlCell
}

type htmlFig struct {
	ID, Name string
	SVG      template.HTML
}

// WriteHTML writes p as one self-contained HTML page: figures inlined as
// SVG, every table (sortable by clicking a header), the manifest, and an
// interactive view of the attention patterns. It loads nothing from the
// network: the style and script are inline and the page's content security
// policy forbids any other source.
func WriteHTML(w io.Writer, p HTMLPage) error {
	var figs []htmlFig
	for i, f := range p.Figures {
		svg := f.SVG
		// Drop the XML prolog: inline SVG is an element, not a document.
		if j := bytes.Index(svg, []byte("<svg")); j > 0 {
			svg = svg[j:]
		}
		figs = append(figs, htmlFig{ID: fmt.Sprintf("fig-%d", i), Name: f.Name, SVG: template.HTML(svg)})
	}
	var tabs []htmlTable
	for i, t := range p.Tables {
		ht := htmlTable{ID: fmt.Sprintf("tab-%d", i), Name: t.Name, Title: t.Title, Caption: t.Caption}
		formats := make([]numberFormat, len(t.Columns))
		for j, c := range t.Columns {
			formats[j] = t.columnFormat(j) // the terminal's format, unit included
			h := c.Name
			if formats[j].unit != "" {
				h += " (" + formats[j].unit + ")"
			}
			ht.Header = append(ht.Header, h)
		}
		for _, row := range t.Rows {
			var hr []htmlCell
			for j, cell := range row {
				c := htmlCell{Text: formats[j].format(cell)}
				if v, ok := Float(cell); ok {
					c.Num, c.Sort = true, sortKey(v)
				}
				hr = append(hr, c)
			}
			ht.Rows = append(ht.Rows, hr)
		}
		tabs = append(tabs, ht)
	}
	man, err := json.MarshalIndent(p.Manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encoding manifest: %w", err)
	}
	pats, err := patternJSON(p.Patterns)
	if err != nil {
		return err
	}
	return pageTmpl.Execute(w, map[string]any{
		"Title": p.Title, "Command": strings.Join(p.Manifest.Command, " "),
		"CSS": template.CSS(reportCSS), "JS": template.JS(reportJS),
		"Figures": figs, "Tables": tabs, "Patterns": p.Patterns,
		"PatternJSON": template.JS(pats), "ManifestJSON": string(man),
	})
}

// sortKey is a cell's value for sorting; NaN sorts last.
func sortKey(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return fmt.Sprint(v)
}

// patternJSON encodes the views compactly (4 decimals) for the script.
func patternJSON(ps []PatternView) (string, error) {
	type view struct {
		Head    string    `json:"head"`
		Caption string    `json:"caption"`
		Tokens  []string  `json:"tokens"`
		Pattern []float64 `json:"pattern"`
	}
	vs := make([]view, 0, len(ps))
	for _, p := range ps {
		T := len(p.Tokens)
		if len(p.Pattern) != T*T {
			return "", fmt.Errorf("report: pattern of %s has %d values for %d tokens", p.Head, len(p.Pattern), T)
		}
		v := view{Head: p.Head, Caption: p.Caption, Tokens: p.Tokens, Pattern: make([]float64, T*T)}
		for i, x := range p.Pattern {
			f := float64(x)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				f = 0
			}
			v.Pattern[i] = math.Round(f*1e4) / 1e4
		}
		vs = append(vs, v)
	}
	b, err := json.Marshal(vs)
	if err != nil {
		return "", err
	}
	// Safe inside <script>: no "</" can close the element early.
	return strings.ReplaceAll(string(b), "</", `<\/`), nil
}

// HTMLName is the file name of the HTML report in the output folder.
const HTMLName = "report.html"

// WriteHTMLReport writes r as Dir/report.html (see WriteHTML): every figure
// rendered again as SVG and inlined, every table, r's pattern views, and
// the manifest m as it will be written next (its file list then includes
// report.html). Call it after WriteResults and before WriteManifest, with
// the same m.
func (o *Output) WriteHTMLReport(title string, r Results, m Manifest) error {
	p := HTMLPage{Title: title, Tables: r.Tables, Patterns: r.Patterns}
	for _, f := range r.Figures {
		var buf bytes.Buffer
		if err := f.Fig.Render(&buf, "svg"); err != nil {
			return fmt.Errorf("report: %s as SVG: %w", f.Name, err)
		}
		p.Figures = append(p.Figures, HTMLFigure{Name: f.Name, SVG: buf.Bytes()})
	}
	o.mu.Lock()
	m.Files = append(slices.Clone(o.Files), HTMLName)
	o.mu.Unlock()
	p.Manifest = m
	_, err := o.WriteFile(HTMLName, func(w io.Writer) error { return WriteHTML(w, p) })
	return err
}
