// Package report owns attnlab's tabular output: the Table type (named columns
// with units, rows of plain cells), its three renderings — CSV files, terminal
// tables and JSON — and atomic file writes.
//
// Analyses build Tables; commands hand them to an Output, which writes one CSV
// per table into the output folder and a manifest.json listing every file
// written. Every file is written atomically (temporary file in the same
// folder, fsync, rename), so an interrupted run never leaves a half-written
// file behind.
//
// Conventions:
//
//   - A cell is a string, bool, int, int64, float64 or float32 (other integer
//     types are accepted and written as integers).
//   - CSV headers are the stable column names only ("induction", "loss");
//     units appear in the terminal header ("loss (nats)") and in JSON.
//   - Floats are written to CSV at full precision (strconv 'g', -1), so
//     ReadCSV(WriteCSV(t)) gives back the same bits; NaN is "NaN", infinities
//     are "+Inf" and "-Inf". In JSON, NaN and infinities are null.
//   - Nothing in this package mutates a Table except Add.
package report
