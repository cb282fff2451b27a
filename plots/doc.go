// Package plots draws attnlab's figures with gonum/plot in one consistent
// style: heatmaps with colour bars (layer × head score grids, attention
// patterns), line charts (training curves, log–log scaling curves) and
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
//   - Heads are labelled L{layer}H{head}, zero-based (HeadLabel).
//   - Sequential data uses Viridis; signed data (Diverging: true) uses a
//     blue–white–red map centred on zero with symmetric limits.
//   - Lines use the Okabe–Ito colour-blind-safe palette, in order.
//   - PNGs are 6.5 × 4.5 inches at 150 dpi (975 × 675 pixels) unless the
//     figure sets Width and Height.
//   - Nothing here mutates its inputs.
package plots
