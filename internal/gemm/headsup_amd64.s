//go:build amd64 && !noasm

#include "textflag.h"

// heads2x8u is MatMulHeads16's UpperA product for 2 heads (C = A_hᵀ·B_h,
// see heads2x8u in kernel_amd64.go), 8 rows of C at a time: 16
// accumulators, Z0-Z15 (row i+r, head h in Z(2r+h)), each lane starting at
// 0 and taking one FMA per p in order, as kern4's do. Per p it loads row p
// of B for the 2 heads (Z16, Z17: 32 floats) and broadcasts A_h[p, i+r]
// into each FMA. Rows i..i+7 sum p = i..t−1, but rows i+4..i+7 only from
// p = i+4 (their terms p < i+4 are the promised zeros): 4 rows for the
// first 4 p, then 8. Two heads, not 4, keep a pass's B rows and A columns
// (16.6 KiB at t = 65, d_head 16) inside L1 with room to spare.
// The rows left over (t mod 8) go 4, then 1 at a time.
//
// Registers: SI A cursor at (p, row i) of head 0 (head 1 at +R8), DI B
// cursor at row p, CX C at row i, DX p counter, R8 hs*4, R10 t*4, R11
// ldb*4, R12 ldc*4, R13 row i, AX scratch.

// UFMA2(d, z0, z1): row at byte displacement d, accumulators z0 (head 0)
// and z1 (head 1).
#define UFMA2(d, z0, z1) \
	VFMADD231PS.BCST d(SI), Z16, z0; \
	VFMADD231PS.BCST d(SI)(R8*1), Z17, z1

#define LOADB2 \
	VMOVUPS (DI), Z16; \
	VMOVUPS 64(DI), Z17

#define NEXTP \
	ADDQ R10, SI; \
	ADDQ R11, DI; \
	DECQ DX

// STORE2(z0, z1) stores a row's accumulators at AX and moves AX down a row.
#define STORE2(z0, z1) \
	VMOVUPS z0, (AX);   \
	VMOVUPS z1, 64(AX); \
	ADDQ    R12, AX

// BLOCKSTART points SI at A_0[i, i], DI at B row i, AX at C row i.
#define BLOCKSTART \
	MOVQ  t+24(FP), SI;  \
	INCQ  SI;            \
	IMULQ R13, SI;       \
	SHLQ  $2, SI;        \
	ADDQ  a+0(FP), SI;   \
	MOVQ  R13, DI;       \
	IMULQ R11, DI;       \
	ADDQ  b+8(FP), DI;   \
	MOVQ  CX, AX

// func heads2x8u(a, b, c *float32, t, hs, ldb, ldc int)
TEXT ·heads2x8u(SB), NOSPLIT, $0-56
	MOVQ c+16(FP), CX
	MOVQ hs+32(FP), R8
	SHLQ $2, R8
	MOVQ t+24(FP), R10
	SHLQ $2, R10
	MOVQ ldb+40(FP), R11
	SHLQ $2, R11
	MOVQ ldc+48(FP), R12
	SHLQ $2, R12
	XORQ R13, R13

block8:
	MOVQ t+24(FP), DX
	SUBQ R13, DX
	CMPQ DX, $8
	JLT  block4
	BLOCKSTART
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	// p = i..i+3: rows i..i+3.
	SUBQ $4, DX
	MOVQ DX, R9
	MOVQ $4, DX

u8a:
	LOADB2
	UFMA2(0, Z0, Z1)
	UFMA2(4, Z2, Z3)
	UFMA2(8, Z4, Z5)
	UFMA2(12, Z6, Z7)
	NEXTP
	JNZ u8a

	// p = i+4..t−1: all 8 rows.
	MOVQ R9, DX

u8b:
	LOADB2
	UFMA2(0, Z0, Z1)
	UFMA2(4, Z2, Z3)
	UFMA2(8, Z4, Z5)
	UFMA2(12, Z6, Z7)
	UFMA2(16, Z8, Z9)
	UFMA2(20, Z10, Z11)
	UFMA2(24, Z12, Z13)
	UFMA2(28, Z14, Z15)
	NEXTP
	JNZ u8b

	MOVQ CX, AX
	STORE2(Z0, Z1)
	STORE2(Z2, Z3)
	STORE2(Z4, Z5)
	STORE2(Z6, Z7)
	STORE2(Z8, Z9)
	STORE2(Z10, Z11)
	STORE2(Z12, Z13)
	STORE2(Z14, Z15)
	MOVQ AX, CX
	ADDQ $8, R13
	JMP  block8

block4:
	// 4 rows i..i+3 left or more: p = i..t−1.
	CMPQ DX, $4
	JLT  block1
	BLOCKSTART
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

u4:
	LOADB2
	UFMA2(0, Z0, Z1)
	UFMA2(4, Z2, Z3)
	UFMA2(8, Z4, Z5)
	UFMA2(12, Z6, Z7)
	NEXTP
	JNZ u4

	MOVQ CX, AX
	STORE2(Z0, Z1)
	STORE2(Z2, Z3)
	STORE2(Z4, Z5)
	STORE2(Z6, Z7)
	MOVQ AX, CX
	ADDQ $4, R13
	MOVQ t+24(FP), DX
	SUBQ R13, DX

block1:
	// The last rows one at a time: row i sums p = i..t−1.
	TESTQ DX, DX
	JEQ   done
	BLOCKSTART
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

u1:
	LOADB2
	UFMA2(0, Z0, Z1)
	NEXTP
	JNZ u1

	MOVQ CX, AX
	STORE2(Z0, Z1)
	MOVQ AX, CX
	INCQ R13
	MOVQ t+24(FP), DX
	SUBQ R13, DX
	JMP  block1

done:
	VZEROUPPER
	RET
