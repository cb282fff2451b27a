//go:build noasm

package main

// buildTags are the tags this test binary was built with, for the binaries
// the tests build (buildBinary): a noasm test runs a noasm attnlab.
const buildTags = "noasm"
