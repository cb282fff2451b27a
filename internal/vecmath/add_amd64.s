//go:build amd64 && !noasm

#include "textflag.h"
#include "macros_amd64.h"

// func addBiasAsm(x, b *float32, rows, cols int)
//
// For each row: x[c] += b[c], 16 columns at a time, the last ones masked.
TEXT ·addBiasAsm(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), DI
	MOVQ b+8(FP), R8
	MOVQ rows+16(FP), R9
	MOVQ cols+24(FP), R10
	MOVQ R10, CX
	ANDQ $15, CX
	TAILMASK

brow:
	MOVQ R8, SI
	MOVQ R10, CX

bloop:
	CMPQ    CX, $16
	JLT     btail
	VMOVUPS (DI), Z0
	VADDPS  (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     bloop

btail:
	TESTQ     CX, CX
	JEQ       bnext
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)
	LEAQ      (DI)(CX*4), DI

bnext:
	DECQ R9
	JNZ  brow
	VZEROUPPER
	RET

// LANES sets kreg to the lanes of a 16-lane vector at column offset off
// of a block with left columns: the low max(0, min(16, left−off)) bits
// (BZHI reads only the low byte of its index: clamp first). Clobbers BX
// and CX.
#define LANES(left, off, kreg) \
	MOVQ    left, BX;      \
	SUBQ    $off, BX;      \
	XORL    CX, CX;        \
	TESTQ   BX, BX;        \
	CMOVQLT CX, BX;        \
	MOVL    $16, CX;       \
	CMPQ    BX, CX;        \
	CMOVQGT CX, BX;        \
	MOVL    $0xffff, CX;   \
	BZHIL   BX, CX, CX;    \
	KMOVW   CX, kreg

// func sumRowsAsm(dst, x *float32, rows, cols, ld int)
//
// 64 columns at a time (the last block masked): load dst's block into
// Z0-Z3, add the block of every row in order (four independent chains),
// store.
TEXT ·sumRowsAsm(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), R9
	MOVQ cols+24(FP), R12
	MOVQ ld+32(FP), R11
	SHLQ $2, R11

sblock:
	TESTQ     R12, R12
	JLE       sdone
	LANES(R12, 0, K1)
	LANES(R12, 16, K2)
	LANES(R12, 32, K3)
	LANES(R12, 48, K4)
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z 64(DI), K2, Z1
	VMOVUPS.Z 128(DI), K3, Z2
	VMOVUPS.Z 192(DI), K4, Z3
	MOVQ      SI, AX
	MOVQ      R9, DX

srow:
	VMOVUPS.Z (AX), K1, Z4
	VADDPS    Z4, Z0, Z0
	VMOVUPS.Z 64(AX), K2, Z5
	VADDPS    Z5, Z1, Z1
	VMOVUPS.Z 128(AX), K3, Z6
	VADDPS    Z6, Z2, Z2
	VMOVUPS.Z 192(AX), K4, Z7
	VADDPS    Z7, Z3, Z3
	ADDQ      R11, AX
	DECQ      DX
	JNZ       srow
	VMOVUPS   Z0, K1, (DI)
	VMOVUPS   Z1, K2, 64(DI)
	VMOVUPS   Z2, K3, 128(DI)
	VMOVUPS   Z3, K4, 192(DI)
	ADDQ      $256, DI
	ADDQ      $256, SI
	SUBQ      $64, R12
	JMP       sblock

sdone:
	VZEROUPPER
	RET
