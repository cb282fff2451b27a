// Package archtest holds attnlab's architecture test: the layering of
// DESIGN.md as a table of forbidden imports, checked against the package
// graph that `go list -deps -json` reports, so the picture cannot rot.
//
// The layers, bottom up: the engine and formats (internal/..., attention,
// model, tasks, safetensors, optim, fixtures) and the output packages
// (report, plots); the training loop (train); the analyses (circuits,
// induction, sinks, probes, parity), which are pure: model and inputs in,
// tables and figures out; the studies (studies/...), which train and then
// measure; the labs that run experiments for commands (bench, ringlab); and
// the CLI (cmd/attnlab). A package may import only from below its layer.
// The rules are in arch_test.go; a new package that fits none of them is
// reported until it is given a layer there.
package archtest
