//go:build !amd64 || noasm

package optim
