// Command attnlab is a lab bench for attention mechanisms and the circuits
// they form in tiny transformers. See README.md.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
