//go:build amd64 && !noasm

#include "textflag.h"

// heads2x8l is MatMulHeads16's LowerA product for 2 heads (C = A_h·B_h,
// see heads2x8l in kernel_amd64.go), 8 rows of C at a time: 16
// accumulators, Z0-Z15 (row i+r, head h in Z(2r+h)), each lane starting at
// 0 and taking one FMA per p in order, as kern4's do. Per p it loads row p
// of B for the 2 heads (Z16, Z17: 32 floats) and broadcasts A_h[i+r, p]
// into each FMA. Rows i..i+7 sum p = 0..i+7, but rows i..i+3 only to p =
// i+3 (their terms p > i+3 are the promised zeros): 8 rows for p ≤ i+3,
// then 4. The rows left over (t mod 8) go one at a time first, where their
// sums are shortest.
//
// Registers: SI, R14 A cursors of head 0 at (row i, p) and (row i+4, p),
// R8, R9 the same for head 1, DI B cursor at row p, BX B, CX C at row i, DX
// p counter, R10 t*4, R12 3*t*4 (row offsets), R11 ldb*4, R13 row i, AX
// scratch.

#define LOADB2 \
	VMOVUPS (DI), Z16; \
	VMOVUPS 64(DI), Z17

// LFMA2(idx, base0, base1, z0, z1): the row at idx from the head cursors
// base0, base1 into z0, z1.
#define LFMA2(idx, base0, base1, z0, z1) \
	VFMADD231PS.BCST (base0)(idx), Z16, z0; \
	VFMADD231PS.BCST (base1)(idx), Z17, z1

#define LFMA20(base0, base1, z0, z1) \
	VFMADD231PS.BCST (base0), Z16, z0; \
	VFMADD231PS.BCST (base1), Z17, z1

// STORE2(z0, z1) stores a row's accumulators at DX and moves DX down a row
// (AX = ldc*4).
#define STORE2(z0, z1) \
	VMOVUPS z0, (DX);   \
	VMOVUPS z1, 64(DX); \
	ADDQ    AX, DX

// CURSORS points SI at A_0[i, 0] (i = R13) and R8 at A_1[i, 0].
#define CURSORS \
	MOVQ  t+24(FP), SI; \
	IMULQ R13, SI;      \
	SHLQ  $2, SI;       \
	ADDQ  a+0(FP), SI;  \
	MOVQ  hs+32(FP), R8; \
	LEAQ  (SI)(R8*4), R8

// func heads2x8l(a, b, c *float32, t, hs, ldb, ldc int)
TEXT ·heads2x8l(SB), NOSPLIT, $0-56
	MOVQ b+8(FP), BX
	MOVQ c+16(FP), CX
	MOVQ t+24(FP), R10
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R12
	MOVQ ldb+40(FP), R11
	SHLQ $2, R11
	XORQ R13, R13

single:
	// Rows 0 .. t mod 8 − 1 alone: row i sums p = 0..i.
	MOVQ t+24(FP), AX
	ANDQ $7, AX
	CMPQ R13, AX
	JGE  block8
	CURSORS
	MOVQ   BX, DI
	LEAQ   1(R13), DX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

singleloop:
	LOADB2
	LFMA20(SI, R8, Z0, Z1)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ R11, DI
	DECQ DX
	JNZ  singleloop
	VMOVUPS Z0, (CX)
	VMOVUPS Z1, 64(CX)
	MOVQ    ldc+48(FP), AX
	LEAQ    (CX)(AX*4), CX
	INCQ    R13
	JMP     single

block8:
	CMPQ R13, t+24(FP)
	JGE  done
	CURSORS
	LEAQ   (SI)(R10*4), R14
	LEAQ   (R8)(R10*4), R9
	MOVQ   BX, DI
	LEAQ   4(R13), DX
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

l8a:
	// p = 0..i+3: all 8 rows.
	LOADB2
	LFMA20(SI, R8, Z0, Z1)
	LFMA2(R10*1, SI, R8, Z2, Z3)
	LFMA2(R10*2, SI, R8, Z4, Z5)
	LFMA2(R12*1, SI, R8, Z6, Z7)
	LFMA20(R14, R9, Z8, Z9)
	LFMA2(R10*1, R14, R9, Z10, Z11)
	LFMA2(R10*2, R14, R9, Z12, Z13)
	LFMA2(R12*1, R14, R9, Z14, Z15)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R14
	ADDQ $4, R9
	ADDQ R11, DI
	DECQ DX
	JNZ  l8a
	MOVQ $4, DX

l8b:
	// p = i+4..i+7: rows i+4..i+7.
	LOADB2
	LFMA20(R14, R9, Z8, Z9)
	LFMA2(R10*1, R14, R9, Z10, Z11)
	LFMA2(R10*2, R14, R9, Z12, Z13)
	LFMA2(R12*1, R14, R9, Z14, Z15)
	ADDQ $4, R14
	ADDQ $4, R9
	ADDQ R11, DI
	DECQ DX
	JNZ  l8b

	MOVQ ldc+48(FP), AX
	SHLQ $2, AX
	MOVQ CX, DX
	STORE2(Z0, Z1)
	STORE2(Z2, Z3)
	STORE2(Z4, Z5)
	STORE2(Z6, Z7)
	STORE2(Z8, Z9)
	STORE2(Z10, Z11)
	STORE2(Z12, Z13)
	STORE2(Z14, Z15)
	MOVQ DX, CX
	ADDQ $8, R13
	JMP  block8

done:
	VZEROUPPER
	RET
