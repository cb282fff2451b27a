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

// func packT(dst, b *float32, ldb, ldd, k, n int, mask uint32)
//
// dst[p*ldd+j] = b[j*ldb+p] for p < k, j < n: 16 columns of dst at a time,
// each row of them one gather down a column of b. mask = 1<<(n%16) - 1.
// k must be > 0; ldb*16 must fit in int32.
TEXT ·packT(SB), NOSPLIT, $0-52
	MOVQ         dst+0(FP), AX
	MOVQ         b+8(FP), BX
	MOVQ         ldb+16(FP), CX
	MOVQ         ldd+24(FP), R9
	SHLQ         $2, R9         // dst row stride in bytes
	MOVQ         k+32(FP), DX
	MOVQ         n+40(FP), R8
	MOVL         mask+48(FP), R12
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

// func tr16(dst, b *float32, ldb, ldd, nblk int)
//
// Transposes nblk 16×16 blocks lying side by side along a row of b:
// dst[p*ldd+j] = b[j*ldb+p] for j < 16, p < 16*nblk. nblk must be > 0.
// Four shuffle stages: interleave floats, pairs, 128-bit lanes twice.
TEXT ·tr16(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $2, R8
	MOVQ ldd+24(FP), R9
	SHLQ $2, R9
	MOVQ nblk+32(FP), CX

tr16loop:
	MOVQ SI, R10
	VMOVUPS (R10), Z0
	ADDQ    R8, R10
	VMOVUPS (R10), Z1
	ADDQ    R8, R10
	VMOVUPS (R10), Z2
	ADDQ    R8, R10
	VMOVUPS (R10), Z3
	ADDQ    R8, R10
	VMOVUPS (R10), Z4
	ADDQ    R8, R10
	VMOVUPS (R10), Z5
	ADDQ    R8, R10
	VMOVUPS (R10), Z6
	ADDQ    R8, R10
	VMOVUPS (R10), Z7
	ADDQ    R8, R10
	VMOVUPS (R10), Z8
	ADDQ    R8, R10
	VMOVUPS (R10), Z9
	ADDQ    R8, R10
	VMOVUPS (R10), Z10
	ADDQ    R8, R10
	VMOVUPS (R10), Z11
	ADDQ    R8, R10
	VMOVUPS (R10), Z12
	ADDQ    R8, R10
	VMOVUPS (R10), Z13
	ADDQ    R8, R10
	VMOVUPS (R10), Z14
	ADDQ    R8, R10
	VMOVUPS (R10), Z15
	VUNPCKLPS Z1, Z0, Z16
	VUNPCKHPS Z1, Z0, Z17
	VUNPCKLPS Z3, Z2, Z18
	VUNPCKHPS Z3, Z2, Z19
	VUNPCKLPS Z5, Z4, Z20
	VUNPCKHPS Z5, Z4, Z21
	VUNPCKLPS Z7, Z6, Z22
	VUNPCKHPS Z7, Z6, Z23
	VUNPCKLPS Z9, Z8, Z24
	VUNPCKHPS Z9, Z8, Z25
	VUNPCKLPS Z11, Z10, Z26
	VUNPCKHPS Z11, Z10, Z27
	VUNPCKLPS Z13, Z12, Z28
	VUNPCKHPS Z13, Z12, Z29
	VUNPCKLPS Z15, Z14, Z30
	VUNPCKHPS Z15, Z14, Z31
	VUNPCKLPD Z18, Z16, Z0
	VUNPCKHPD Z18, Z16, Z1
	VUNPCKLPD Z19, Z17, Z2
	VUNPCKHPD Z19, Z17, Z3
	VUNPCKLPD Z22, Z20, Z4
	VUNPCKHPD Z22, Z20, Z5
	VUNPCKLPD Z23, Z21, Z6
	VUNPCKHPD Z23, Z21, Z7
	VUNPCKLPD Z26, Z24, Z8
	VUNPCKHPD Z26, Z24, Z9
	VUNPCKLPD Z27, Z25, Z10
	VUNPCKHPD Z27, Z25, Z11
	VUNPCKLPD Z30, Z28, Z12
	VUNPCKHPD Z30, Z28, Z13
	VUNPCKLPD Z31, Z29, Z14
	VUNPCKHPD Z31, Z29, Z15
	VSHUFF32X4 $0x88, Z4, Z0, Z16
	VSHUFF32X4 $0xdd, Z4, Z0, Z20
	VSHUFF32X4 $0x88, Z12, Z8, Z24
	VSHUFF32X4 $0xdd, Z12, Z8, Z28
	VSHUFF32X4 $0x88, Z5, Z1, Z17
	VSHUFF32X4 $0xdd, Z5, Z1, Z21
	VSHUFF32X4 $0x88, Z13, Z9, Z25
	VSHUFF32X4 $0xdd, Z13, Z9, Z29
	VSHUFF32X4 $0x88, Z6, Z2, Z18
	VSHUFF32X4 $0xdd, Z6, Z2, Z22
	VSHUFF32X4 $0x88, Z14, Z10, Z26
	VSHUFF32X4 $0xdd, Z14, Z10, Z30
	VSHUFF32X4 $0x88, Z7, Z3, Z19
	VSHUFF32X4 $0xdd, Z7, Z3, Z23
	VSHUFF32X4 $0x88, Z15, Z11, Z27
	VSHUFF32X4 $0xdd, Z15, Z11, Z31
	VSHUFF32X4 $0x88, Z24, Z16, Z0
	VSHUFF32X4 $0xdd, Z24, Z16, Z8
	VSHUFF32X4 $0x88, Z25, Z17, Z1
	VSHUFF32X4 $0xdd, Z25, Z17, Z9
	VSHUFF32X4 $0x88, Z26, Z18, Z2
	VSHUFF32X4 $0xdd, Z26, Z18, Z10
	VSHUFF32X4 $0x88, Z27, Z19, Z3
	VSHUFF32X4 $0xdd, Z27, Z19, Z11
	VSHUFF32X4 $0x88, Z28, Z20, Z4
	VSHUFF32X4 $0xdd, Z28, Z20, Z12
	VSHUFF32X4 $0x88, Z29, Z21, Z5
	VSHUFF32X4 $0xdd, Z29, Z21, Z13
	VSHUFF32X4 $0x88, Z30, Z22, Z6
	VSHUFF32X4 $0xdd, Z30, Z22, Z14
	VSHUFF32X4 $0x88, Z31, Z23, Z7
	VSHUFF32X4 $0xdd, Z31, Z23, Z15
	MOVQ DI, R11
	VMOVUPS Z0, (R11)
	ADDQ    R9, R11
	VMOVUPS Z1, (R11)
	ADDQ    R9, R11
	VMOVUPS Z2, (R11)
	ADDQ    R9, R11
	VMOVUPS Z3, (R11)
	ADDQ    R9, R11
	VMOVUPS Z4, (R11)
	ADDQ    R9, R11
	VMOVUPS Z5, (R11)
	ADDQ    R9, R11
	VMOVUPS Z6, (R11)
	ADDQ    R9, R11
	VMOVUPS Z7, (R11)
	ADDQ    R9, R11
	VMOVUPS Z8, (R11)
	ADDQ    R9, R11
	VMOVUPS Z9, (R11)
	ADDQ    R9, R11
	VMOVUPS Z10, (R11)
	ADDQ    R9, R11
	VMOVUPS Z11, (R11)
	ADDQ    R9, R11
	VMOVUPS Z12, (R11)
	ADDQ    R9, R11
	VMOVUPS Z13, (R11)
	ADDQ    R9, R11
	VMOVUPS Z14, (R11)
	ADDQ    R9, R11
	VMOVUPS Z15, (R11)
	ADDQ    $64, SI
	MOVQ    R9, AX
	SHLQ    $4, AX
	ADDQ    AX, DI
	DECQ    CX
	JNZ     tr16loop
	VZEROUPPER
	RET
