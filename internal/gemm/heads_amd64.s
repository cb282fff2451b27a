//go:build amd64 && !noasm

#include "textflag.h"

// heads4x16 is MatMulHeads16's LowerA product for 4 heads, 4 rows of C
// at a time: 16 accumulators, Z0-Z15 (row r, head h in Z(4r+h)), each lane
// starting at 0 and taking one FMA per p in order, as kern4's do. Per p it
// loads row p of B for the 4 heads (Z16-Z19, 64 floats) and broadcasts
// each A entry into its FMA (embedded broadcast), so a block does 16 FMAs
// for 4 vector loads and 16 scalar ones. The rows left over (t mod 4) go
// one at a time first, where their sums are shortest. (UpperA is
// heads2x8u, headsup_amd64.s.)
//
// Registers: BX B, CX C at the block's first row, DX p counter, DI B
// cursor, R11 ldb*4, R13 the block's first row i, SI, R8, R9, R14 A
// cursors of heads 0-3 at (row i, p), R10 t*4 and R12 3*t*4 (row offsets).

#define LOADB \
	VMOVUPS (DI), Z16;     \
	VMOVUPS 64(DI), Z17;   \
	VMOVUPS 128(DI), Z18;  \
	VMOVUPS 192(DI), Z19

#define ZERO16 \
	VPXORD Z0, Z0, Z0;    \
	VPXORD Z1, Z1, Z1;    \
	VPXORD Z2, Z2, Z2;    \
	VPXORD Z3, Z3, Z3;    \
	VPXORD Z4, Z4, Z4;    \
	VPXORD Z5, Z5, Z5;    \
	VPXORD Z6, Z6, Z6;    \
	VPXORD Z7, Z7, Z7;    \
	VPXORD Z8, Z8, Z8;    \
	VPXORD Z9, Z9, Z9;    \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15

#define ZERO4 \
	VPXORD Z0, Z0, Z0;    \
	VPXORD Z1, Z1, Z1;    \
	VPXORD Z2, Z2, Z2;    \
	VPXORD Z3, Z3, Z3

// STOREROW stores a row's accumulators z0-z3 at (CX)(idx) (64 floats).
#define STOREROW(idx, z0, z1, z2, z3) \
	VMOVUPS z0, (CX)(idx);        \
	VMOVUPS z1, 64(CX)(idx);     \
	VMOVUPS z2, 128(CX)(idx);    \
	VMOVUPS z3, 192(CX)(idx)

// STOREROW0 stores Z0-Z3 at (CX).
#define STOREROW0 \
	VMOVUPS Z0, (CX);     \
	VMOVUPS Z1, 64(CX);   \
	VMOVUPS Z2, 128(CX);  \
	VMOVUPS Z3, 192(CX)

// LFMA: LowerA, the row at index idx from each head cursor, accumulators
// z0-z3.
#define LFMA(idx, z0, z1, z2, z3) \
	VFMADD231PS.BCST (SI)(idx), Z16, z0;  \
	VFMADD231PS.BCST (R8)(idx), Z17, z1;  \
	VFMADD231PS.BCST (R9)(idx), Z18, z2;  \
	VFMADD231PS.BCST (R14)(idx), Z19, z3

// LFMA0 is LFMA for the cursors' own row.
#define LFMA0(z0, z1, z2, z3) \
	VFMADD231PS.BCST (SI), Z16, z0;  \
	VFMADD231PS.BCST (R8), Z17, z1;  \
	VFMADD231PS.BCST (R9), Z18, z2;  \
	VFMADD231PS.BCST (R14), Z19, z3

// LCURSORS points SI, R8, R9, R14 at (row R13, p 0) of heads 0-3.
#define LCURSORS \
	MOVQ  t+24(FP), SI;  \
	IMULQ R13, SI;       \
	SHLQ  $2, SI;        \
	ADDQ  a+0(FP), SI;   \
	MOVQ  hs+32(FP), R8; \
	LEAQ  (SI)(R8*4), R9; \
	LEAQ  (R9)(R8*4), R14; \
	LEAQ  (R14)(R8*4), AX; \
	MOVQ  R9, R8;        \
	MOVQ  R14, R9;       \
	MOVQ  AX, R14

// func heads4x16(a, b, c *float32, t, hs, ldb, ldc int)
TEXT ·heads4x16(SB), NOSPLIT, $0-56
	MOVQ b+8(FP), BX
	MOVQ c+16(FP), CX
	MOVQ ldb+40(FP), R11
	SHLQ $2, R11
	MOVQ t+24(FP), R10
	SHLQ $2, R10
	XORQ R13, R13

	// Rows 0 .. t mod 4 − 1 alone: row i sums p = 0..i.
	LEAQ (R10)(R10*2), R12

lsingle:
	MOVQ t+24(FP), AX
	ANDQ $3, AX
	CMPQ R13, AX
	JGE  lquad
	LCURSORS
	MOVQ BX, DI
	LEAQ 1(R13), DX
	ZERO4

lsingleloop:
	LOADB
	LFMA0(Z0, Z1, Z2, Z3)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, R14
	ADDQ R11, DI
	DECQ DX
	JNZ  lsingleloop
	STOREROW0
	MOVQ ldc+48(FP), AX
	LEAQ (CX)(AX*4), CX
	INCQ R13
	JMP  lsingle

lquad:
	// Rows i..i+3 sum p = 0..i+3.
	CMPQ R13, t+24(FP)
	JGE  done
	LCURSORS
	MOVQ BX, DI
	LEAQ 4(R13), DX
	ZERO16

lquadloop:
	LOADB
	LFMA0(Z0, Z1, Z2, Z3)
	LFMA(R10*1, Z4, Z5, Z6, Z7)
	LFMA(R10*2, Z8, Z9, Z10, Z11)
	LFMA(R12*1, Z12, Z13, Z14, Z15)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, R14
	ADDQ R11, DI
	DECQ DX
	JNZ  lquadloop

store4:
	// Rows i..i+3 of the block to C; then the next block.
	MOVQ ldc+48(FP), AX
	SHLQ $2, AX
	LEAQ (AX)(AX*2), DX
	STOREROW0
	STOREROW(AX*1, Z4, Z5, Z6, Z7)
	STOREROW(AX*2, Z8, Z9, Z10, Z11)
	STOREROW(DX*1, Z12, Z13, Z14, Z15)
	LEAQ (CX)(AX*4), CX
	ADDQ $4, R13
	JMP  lquad

done:
	VZEROUPPER
	RET
