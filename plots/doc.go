// Package plots draws attnlab's figures with gonum/plot in one consistent
// style: heatmaps with colour bars (layer × head score grids, attention
// patterns), line charts (training curves, log–log scaling curves, sweeps
// with a band of their spread), panels of line charts in one figure, and
// grouped bar charts.
//
// A figure is a plain struct describing what to draw. Save writes it to a
// file, choosing the format from the extension (.png, .svg or .pdf), through
// an atomic write; Render writes it to any io.Writer, so commands can pass
// it to report.Output.WriteFile.
//
// Conventions:
//
//   - Heatmap values are row-major, [Rows*Cols]; row 0 is drawn at the top,
//     as in a matrix or an attention pattern (queries down, keys across).
//   - Heads are labelled L{layer}H{head}, zero-based (model.HeadID).
//   - Sequential data uses Viridis; signed data, or data read against a
//     reference level (Diverging: true, Center), uses a blue–white–red map
//     centred on that level with symmetric limits. Reference levels (chance,
//     a threshold) are marked on the colour bar (Marks).
//   - Lines use the Okabe–Ito colour-blind-safe palette, in order; with
//     Markers each series also has its own marker shape, a little smaller
//     than the previous series', so coinciding lines stay distinguishable.
//   - Reference lines (VLine, HLine) are grey dashes under the data; their
//     labels sit on white where they cover the fewest lines. A legend goes
//     in the emptiest corner, or outside the data (LegendRight).
//   - PNGs are 6.5 × 4.5 inches at 150 dpi (975 × 675 pixels) unless the
//     figure sets Width and Height.
//   - Nothing here mutates its inputs.
package plots
