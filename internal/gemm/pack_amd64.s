//go:build amd64 && !noasm

#include "textflag.h"

// iota<> is 0, 1, ..., 15 as int32.
DATA iota<>+0(SB)/4, $0
DATA iota<>+4(SB)/4, $1
DATA iota<>+8(SB)/4, $2
DATA iota<>+12(SB)/4, $3
DATA iota<>+16(SB)/4, $4
DATA iota<>+20(SB)/4, $5
DATA iota<>+24(SB)/4, $6
DATA iota<>+28(SB)/4, $7
DATA iota<>+32(SB)/4, $8
DATA iota<>+36(SB)/4, $9
DATA iota<>+40(SB)/4, $10
DATA iota<>+44(SB)/4, $11
DATA iota<>+48(SB)/4, $12
DATA iota<>+52(SB)/4, $13
DATA iota<>+56(SB)/4, $14
DATA iota<>+60(SB)/4, $15
GLOBL iota<>(SB), RODATA|NOPTR, $64

// func packT(dst, b *float32, ldb, k, n int, mask uint32)
//
// dst[p*n+j] = b[j*ldb+p] for p < k, j < n: 16 columns of dst at a time,
// each row of them one gather down a column of b. mask = 1<<(n%16) - 1.
// k must be > 0; ldb*16 must fit in int32.
TEXT ·packT(SB), NOSPLIT, $0-44
	MOVQ         dst+0(FP), AX
	MOVQ         b+8(FP), BX
	MOVQ         ldb+16(FP), CX
	MOVQ         k+24(FP), DX
	MOVQ         n+32(FP), R8
	MOVL         mask+40(FP), R12
	MOVQ         R8, R9
	SHLQ         $2, R9         // dst row stride in bytes
	MOVQ         CX, R10
	SHLQ         $6, R10        // 16 rows of b in bytes
	VPBROADCASTD CX, Z2
	VPMULLD      iota<>(SB), Z2, Z1 // Z1 = j*ldb, j < 16
	MOVL         $0xffff, R13

packblock:
	CMPQ R8, $16
	JGE  packrun
	MOVL R12, R13 // the last, partial block

packrun:
	MOVQ BX, SI
	MOVQ AX, DI
	MOVQ DX, R11

packloop:
	KMOVW      R13, K1
	KMOVW      R13, K2
	VGATHERDPS (SI)(Z1*4), K1, Z0
	VMOVUPS    Z0, K2, (DI)
	ADDQ       $4, SI
	ADDQ       R9, DI
	DECQ       R11
	JNZ        packloop

	ADDQ R10, BX
	ADDQ $64, AX
	SUBQ $16, R8
	JGT  packblock

	VZEROUPPER
	RET
