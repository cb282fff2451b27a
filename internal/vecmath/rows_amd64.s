//go:build amd64 && !noasm

#include "textflag.h"
#include "macros_amd64.h"

// func scaleAsm(x *float32, n int, s float32)
TEXT ·scaleAsm(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS s+16(FP), Z4

scloop64:
	CMPQ    CX, $64
	JLT     scloop
	VMULPS  (DI), Z4, Z0
	VMULPS  64(DI), Z4, Z1
	VMULPS  128(DI), Z4, Z2
	VMULPS  192(DI), Z4, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ    $256, DI
	SUBQ    $64, CX
	JMP     scloop64

scloop:
	CMPQ    CX, $16
	JLT     sctail
	VMULPS  (DI), Z4, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     scloop

sctail:
	TESTQ     CX, CX
	JEQ       scdone
	TAILMASK
	VMOVUPS.Z (DI), K1, Z0
	VMULPS    Z4, Z0, Z0
	VMOVUPS   Z0, K1, (DI)

scdone:
	VZEROUPPER
	RET

// func addToAsm(dst, x, y *float32, n int)
TEXT ·addToAsm(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), R8
	MOVQ n+24(FP), CX

atloop64:
	CMPQ    CX, $64
	JLT     atloop
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VADDPS  (R8), Z0, Z0
	VADDPS  64(R8), Z1, Z1
	VADDPS  128(R8), Z2, Z2
	VADDPS  192(R8), Z3, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, R8
	ADDQ    $256, DI
	SUBQ    $64, CX
	JMP     atloop64

atloop:
	CMPQ    CX, $16
	JLT     attail
	VMOVUPS (SI), Z0
	VADDPS  (R8), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, R8
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     atloop

attail:
	TESTQ     CX, CX
	JEQ       atdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (R8), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)

atdone:
	VZEROUPPER
	RET

// func biasResidualAsm(dst, x, a, b *float32, rows, cols int)
//
// For each row, 16 columns at a time (the last ones masked): a += b, then
// dst = x + a.
TEXT ·biasResidualAsm(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ a+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ rows+32(FP), R10
	MOVQ cols+40(FP), R11
	MOVQ R11, CX
	ANDQ $15, CX
	TAILMASK

brrow:
	MOVQ R9, AX
	MOVQ R11, CX

brloop:
	CMPQ    CX, $16
	JLT     brtail
	VMOVUPS (R8), Z0
	VADDPS  (AX), Z0, Z0
	VMOVUPS Z0, (R8)
	VMOVUPS (SI), Z1
	VADDPS  Z0, Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ    $64, AX
	ADDQ    $64, R8
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     brloop

brtail:
	TESTQ     CX, CX
	JEQ       brnext
	VMOVUPS.Z (R8), K1, Z0
	VMOVUPS.Z (AX), K1, Z2
	VADDPS    Z2, Z0, Z0
	VMOVUPS   Z0, K1, (R8)
	VMOVUPS.Z (SI), K1, Z1
	VADDPS    Z0, Z1, Z1
	VMOVUPS   Z1, K1, (DI)
	LEAQ      (R8)(CX*4), R8
	LEAQ      (SI)(CX*4), SI
	LEAQ      (DI)(CX*4), DI

brnext:
	DECQ R10
	JNZ  brrow
	VZEROUPPER
	RET

// func embedRowsAsm(out, table, pos *float32, idx *int32, n, t, d int)
//
// Row by row: out = table[idx] + pos[row mod t], 16 columns at a time (the
// last ones masked); the position row advances with the output row and
// wraps to pos after t rows.
TEXT ·embedRowsAsm(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ table+8(FP), R8
	MOVQ pos+16(FP), R9
	MOVQ idx+24(FP), R10
	MOVQ n+32(FP), R11
	MOVQ t+40(FP), R12
	MOVQ d+48(FP), R13
	MOVQ R13, CX
	ANDQ $15, CX
	TAILMASK
	MOVQ R13, R14
	SHLQ $2, R14
	MOVQ R12, BX

emrow:
	MOVLQSX (R10), AX
	IMULQ   R14, AX
	ADDQ    R8, AX
	MOVQ    R9, SI
	MOVQ    R13, CX

emloop:
	CMPQ    CX, $16
	JLT     emtail
	VMOVUPS (AX), Z0
	VADDPS  (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, AX
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     emloop

emtail:
	TESTQ     CX, CX
	JEQ       emnext
	VMOVUPS.Z (AX), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)
	LEAQ      (SI)(CX*4), SI
	LEAQ      (DI)(CX*4), DI

emnext:
	MOVQ SI, R9
	ADDQ $4, R10
	DECQ BX
	JNZ  emsame
	MOVQ pos+16(FP), R9
	MOVQ R12, BX

emsame:
	DECQ R11
	JNZ  emrow
	VZEROUPPER
	RET

// func scatterAddRowsAsm(dst, x *float32, idx *int32, n, d int)
//
// Row by row in order: dst[idx] += x, 16 columns at a time (the last ones
// masked).
TEXT ·scatterAddRowsAsm(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), R8
	MOVQ x+8(FP), SI
	MOVQ idx+16(FP), R10
	MOVQ n+24(FP), R11
	MOVQ d+32(FP), R13
	MOVQ R13, CX
	ANDQ $15, CX
	TAILMASK
	MOVQ R13, R14
	SHLQ $2, R14

sarow:
	MOVLQSX (R10), DI
	IMULQ   R14, DI
	ADDQ    R8, DI
	MOVQ    R13, CX

saloop:
	CMPQ    CX, $16
	JLT     satail
	VMOVUPS (DI), Z0
	VADDPS  (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     saloop

satail:
	TESTQ     CX, CX
	JEQ       sanext
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)
	LEAQ      (SI)(CX*4), SI

sanext:
	ADDQ $4, R10
	DECQ R11
	JNZ  sarow
	VZEROUPPER
	RET
