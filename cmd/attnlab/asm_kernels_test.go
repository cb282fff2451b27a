//go:build !noasm

package main

// asmKernels: this build runs the AVX-512 kernels where the CPU has them.
const asmKernels = true
