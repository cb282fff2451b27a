// Package ringlab measures Ring Attention (package attention/ring) on this
// machine and reports it as tables and figures:
//
//   - a hosts run: one head's causal attention over N seeded positions on P
//     hosts, once per layout, forward and backward, with every host's
//     work (block pairs computed and skipped, visible pairs), compute,
//     communication and idle time, bytes sent, memory (its own buffers,
//     counted, and its process's peak resident memory, measured), the
//     layouts' imbalance, a timeline, and a check of sampled rows against
//     the float64 reference. The hosts are goroutines (InProcess) or
//     processes over TCP (Processes, or RunHost in a worker); a run that
//     is not in-process is repeated in-process and compared bit for bit;
//   - the error sweep: every output and gradient against the float64 dense
//     reference for P = 1…16 hosts and each layout;
//   - the overlap sweep: the paper's condition for hiding a step's
//     transfer behind its computation, predicted from the measured FLOP
//     rate F, link latency α and bandwidth B, against the measured hidden
//     share as the block size varies; and a what-if table for published
//     accelerator and interconnect figures.
//
// Inputs are seeded per row (a host makes only its own rows), so hosts in
// different processes agree on them without sending them. ringlab parses
// no flags and writes no files: commands hand its Result to report.
package ringlab
