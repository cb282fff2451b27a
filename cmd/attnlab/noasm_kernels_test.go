//go:build noasm

package main

// asmKernels: -tags noasm runs the pure-Go kernels everywhere.
const asmKernels = false
