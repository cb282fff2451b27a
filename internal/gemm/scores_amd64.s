//go:build amd64 && !noasm

#include "textflag.h"

// masks16<>[n] = 1<<n − 1 for n = 0..16: the first n lanes.
DATA masks16<>+0(SB)/2, $0x0000
DATA masks16<>+2(SB)/2, $0x0001
DATA masks16<>+4(SB)/2, $0x0003
DATA masks16<>+6(SB)/2, $0x0007
DATA masks16<>+8(SB)/2, $0x000f
DATA masks16<>+10(SB)/2, $0x001f
DATA masks16<>+12(SB)/2, $0x003f
DATA masks16<>+14(SB)/2, $0x007f
DATA masks16<>+16(SB)/2, $0x00ff
DATA masks16<>+18(SB)/2, $0x01ff
DATA masks16<>+20(SB)/2, $0x03ff
DATA masks16<>+22(SB)/2, $0x07ff
DATA masks16<>+24(SB)/2, $0x0fff
DATA masks16<>+26(SB)/2, $0x1fff
DATA masks16<>+28(SB)/2, $0x3fff
DATA masks16<>+30(SB)/2, $0x7fff
DATA masks16<>+32(SB)/2, $0xffff
GLOBL masks16<>(SB), RODATA|NOPTR, $34

// scores16 computes the causal triangle of S = q·kᵀ for d_head 16 (see
// scoresTri): rows in blocks of 4 (the first block at row 0, the next at
// row t mod 4 when that is not 0, overlapping it, then every 4), each over
// the 16-column chunks its rows need, two chunks at a time (8
// accumulators) while both are needed. Every S element starts at 0 and
// takes one FMA per e = 0..15 in order, as kern4's do; an element computed
// twice (the overlap) gets the same bits twice.
//
// Registers: AX q at the block's first row, BX kᵀ, CX S at the block's
// first row, DX e counter, SI q cursor, DI kᵀ cursor, R8 ldq*4, R9
// 3*ldq*4, R10 ldk*4, R11 lds*4 (S row stride), R12 3*lds*4, R13 the block's
// first row i, R14 the chunk's first column j0. Z0-Z7 accumulators (row r,
// chunk c in Z(2r+c)), Z8-Z9 kᵀ, K1-K2 the chunks' store masks.

// SFMA2 adds row e of kᵀ for two chunks times q[i+r, e] for the 4 rows.
#define SFMA2 \
	VMOVUPS          (DI), Z8;          \
	VMOVUPS          64(DI), Z9;        \
	VFMADD231PS.BCST (SI), Z8, Z0;      \
	VFMADD231PS.BCST (SI), Z9, Z1;      \
	VFMADD231PS.BCST (SI)(R8*1), Z8, Z2; \
	VFMADD231PS.BCST (SI)(R8*1), Z9, Z3; \
	VFMADD231PS.BCST (SI)(R8*2), Z8, Z4; \
	VFMADD231PS.BCST (SI)(R8*2), Z9, Z5; \
	VFMADD231PS.BCST (SI)(R9*1), Z8, Z6; \
	VFMADD231PS.BCST (SI)(R9*1), Z9, Z7

#define SFMA1 \
	VMOVUPS          (DI), Z8;          \
	VFMADD231PS.BCST (SI), Z8, Z0;      \
	VFMADD231PS.BCST (SI)(R8*1), Z8, Z2; \
	VFMADD231PS.BCST (SI)(R8*2), Z8, Z4; \
	VFMADD231PS.BCST (SI)(R9*1), Z8, Z6

// MASK sets k to the store mask of the chunk at column R14 + off: all 16
// lanes, or the t − col lanes left in the row (from masks16). Clobbers
// DX, SI.
#define MASK(off, k) \
	MOVQ    t+48(FP), DX;           \
	SUBQ    R14, DX;                \
	SUBQ    $off, DX;               \
	CMPQ    DX, $16;                \
	JLE     2(PC);                  \
	MOVQ    $16, DX;                \
	LEAQ    masks16<>(SB), SI;      \
	MOVWLZX (SI)(DX*2), SI;         \
	KMOVW   SI, k

// func scores16(q, kt, s *float32, ldq, ldk, lds, t int)
TEXT ·scores16(SB), NOSPLIT, $0-56
	MOVQ q+0(FP), AX
	MOVQ kt+8(FP), BX
	MOVQ s+16(FP), CX
	MOVQ ldq+24(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ ldk+32(FP), R10
	SHLQ $2, R10
	MOVQ lds+40(FP), R11
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12
	XORQ R13, R13

sblock:
	XORQ R14, R14

schunk:
	// Chunks from j0 = R14 while j0 ≤ i+3 (the block's last row).
	LEAQ 3(R13), DX
	CMPQ R14, DX
	JG   snext
	LEAQ 16(R14), DI
	CMPQ DI, DX
	JG   sone

	// Two chunks, j0 and j0+16.
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	MOVQ   AX, SI
	LEAQ   (BX)(R14*4), DI
	MOVQ   $16, DX

stwo:
	SFMA2
	ADDQ $4, SI
	ADDQ R10, DI
	DECQ DX
	JNZ  stwo

	// Masked stores are slow on Zen 4: only for chunks that cross column t.
	LEAQ    (CX)(R14*4), DI
	LEAQ    32(R14), DX
	CMPQ    DX, t+48(FP)
	JG      stwomask
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, (DI)(R11*1)
	VMOVUPS Z3, 64(DI)(R11*1)
	VMOVUPS Z4, (DI)(R11*2)
	VMOVUPS Z5, 64(DI)(R11*2)
	VMOVUPS Z6, (DI)(R12*1)
	VMOVUPS Z7, 64(DI)(R12*1)
	ADDQ    $32, R14
	JMP     schunk

stwomask:
	MASK(0, K1)
	MASK(16, K2)
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z1, K2, 64(DI)
	VMOVUPS Z2, K1, (DI)(R11*1)
	VMOVUPS Z3, K2, 64(DI)(R11*1)
	VMOVUPS Z4, K1, (DI)(R11*2)
	VMOVUPS Z5, K2, 64(DI)(R11*2)
	VMOVUPS Z6, K1, (DI)(R12*1)
	VMOVUPS Z7, K2, 64(DI)(R12*1)
	ADDQ    $32, R14
	JMP     schunk

sone:
	VPXORD Z0, Z0, Z0
	VPXORD Z2, Z2, Z2
	VPXORD Z4, Z4, Z4
	VPXORD Z6, Z6, Z6
	MOVQ   AX, SI
	LEAQ   (BX)(R14*4), DI
	MOVQ   $16, DX

sonel:
	SFMA1
	ADDQ $4, SI
	ADDQ R10, DI
	DECQ DX
	JNZ  sonel

	LEAQ    (CX)(R14*4), DI
	LEAQ    16(R14), DX
	CMPQ    DX, t+48(FP)
	JG      sonemask
	VMOVUPS Z0, (DI)
	VMOVUPS Z2, (DI)(R11*1)
	VMOVUPS Z4, (DI)(R11*2)
	VMOVUPS Z6, (DI)(R12*1)
	ADDQ    $16, R14
	JMP     schunk

sonemask:
	MASK(0, K1)
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z2, K1, (DI)(R11*1)
	VMOVUPS Z4, K1, (DI)(R11*2)
	VMOVUPS Z6, K1, (DI)(R12*1)
	ADDQ    $16, R14
	JMP     schunk

snext:
	// The next block: row t mod 4 after row 0 (when not 0), else i+4.
	MOVQ R13, DX
	ADDQ $4, DX
	TESTQ R13, R13
	JNE  sstep
	MOVQ t+48(FP), DI
	ANDQ $3, DI
	JEQ  sstep
	MOVQ DI, DX

sstep:
	MOVQ t+48(FP), DI
	SUBQ $4, DI
	CMPQ DX, DI
	JG   sdone
	MOVQ DX, DI
	SUBQ R13, DI           // rows advanced
	MOVQ DX, R13
	MOVQ DI, SI
	IMULQ R8, SI
	ADDQ SI, AX            // q += rows*ldq*4
	IMULQ R11, DI
	ADDQ DI, CX            // S += rows*lds*4
	JMP  sblock

sdone:
	VZEROUPPER
	RET
