// Package report owns attnlab's tabular output: the Table type (named columns
// with units, rows of plain cells), its three renderings — CSV files, terminal
// tables and JSON — and atomic file writes.
//
// Analyses build Tables and return them with their figures as Results;
// commands hand Results to Publish, which writes them through an Output (one
// CSV per table, one file per figure, report.html) into the output folder
// with a manifest.json listing every file written, and prints the headline
// tables (or every table as JSON). Every file is written atomically (temporary file in the same
// folder, fsync, rename), so an interrupted run never leaves a half-written
// file behind. The folder holds one run: writing the manifest removes the
// files the previous run's manifest lists that this run did not write, and
// nothing else.
//
// On a terminal (RenderWith) a table is fitted to the terminal's width
// (TerminalWidth: COLUMNS, the terminal, or 100 columns): units move under
// the column names, long text wraps, and then the columns of highest
// Column.Detail are left off and named under the table; titles and
// captions wrap.
//
// Conventions:
//
//   - A cell is a string, bool, int, int64, float64 or float32 (other integer
//     types are accepted and written as integers), or nil for a value that
//     does not apply: "–" on a terminal, an empty CSV cell, null in JSON.
//     NaN is kept for a value that was computed and is not a number.
//   - On a terminal each column has one number format, chosen from its unit
//     and the spread of its values (times in seconds rescaled to ms, µs or
//     ns), unless Column.Format sets one.
//   - CSV headers are the stable column names only ("induction", "loss");
//     units appear in the terminal header ("loss (nats)") and in JSON.
//   - Floats are written to CSV at full precision (strconv 'g', -1), so
//     ReadCSV(WriteCSV(t)) gives back the same bits; NaN is "NaN", infinities
//     are "+Inf" and "-Inf". In JSON, NaN and infinities are null.
//   - Nothing in this package mutates a Table except Add.
package report
