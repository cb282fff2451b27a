//go:build gemmprobe && amd64 && !noasm

#include "textflag.h"

// func rdtsc() uint64 (after earlier loads: LFENCE).
TEXT ·rdtsc(SB), NOSPLIT, $0-8
	LFENCE
	RDTSC
	SHLQ $32, DX
	ORQ  DX, AX
	MOVQ AX, ret+0(FP)
	RET
