//go:build amd64 && !noasm

#include "textflag.h"
#include "macros_amd64.h"
#include "softmax_amd64.h"

// func expAsm(dst, x *float32, n int)
TEXT ·expAsm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	LOADEXPC

eloop:
	CMPQ    CX, $16
	JLT     etail
	VMOVUPS (SI), Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     eloop

etail:
	TESTQ     CX, CX
	JEQ       edone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVUPS   Z0, K1, (DI)

edone:
	VZEROUPPER
	RET
// func softmaxAsm(x *float32, n int, scale float32) (mx, sum float32)
TEXT ·softmaxAsm(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), AX
	MOVQ         n+8(FP), BX
	VBROADCASTSS scale+16(FP), Z10
	VBROADCASTSS expc<>+48(SB), Z16
	LOADEXPC
	LEAQ         (AX)(BX*4), R13
	SOFTMAXROW
	VMOVSS       X8, mx+24(FP)
	VMOVSS       X9, sum+28(FP)
	VZEROUPPER
	RET

// func softmax2Asm(x, y *float32, n int, scale float32) (mx0, sum0, mx1, sum1 float32)
//
// softmaxAsm on two rows of n at x and y at once (SOFTMAXROW2): the same
// bits per row, one row's reductions overlapping the other's work.
TEXT ·softmax2Asm(SB), NOSPLIT, $0-48
	MOVQ         x+0(FP), AX
	MOVQ         y+8(FP), R10
	MOVQ         n+16(FP), BX
	MOVQ         BX, R11
	VBROADCASTSS scale+24(FP), Z10
	VBROADCASTSS expc<>+48(SB), Z16
	LOADEXPC
	LEAQ         (AX)(BX*4), R13
	LEAQ         (R10)(R11*4), R14
	SOFTMAXROW2
	VMOVSS       X8, mx0+32(FP)
	VMOVSS       X9, sum0+36(FP)
	VMOVSS       X14, mx1+40(FP)
	VMOVSS       X15, sum1+44(FP)
	VZEROUPPER
	RET

// func softmaxBackAsm(d, p *float32, n int, scale float32)
TEXT ·softmaxBackAsm(SB), NOSPLIT, $0-28
	MOVQ         d+0(FP), AX
	MOVQ         p+8(FP), R9
	MOVQ         n+16(FP), BX
	VBROADCASTSS scale+24(FP), Z10
	LEAQ         (AX)(BX*4), R13
	SOFTMAXBACKROW
	VZEROUPPER
	RET

// func softmaxBackCausalAsm(d, p *float32, t int, scale float32)
//
// func onlineRowAsm(x *float32, n int, scale, m float32) (mNew, sum float32)
//
// Pass 1 takes the max of scale·x into Z8 (starting from m), pass 2 writes
// e^(scale·x − mNew) and sums it in Z9. scale·x is rounded before the
// subtraction, as in pass 1, so the row's maximum gives exactly e^0 = 1.
TEXT ·onlineRowAsm(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), AX
	MOVQ         n+8(FP), BX
	VBROADCASTSS scale+16(FP), Z10
	VBROADCASTSS m+20(FP), Z8
	LOADEXPC
	MOVQ         AX, SI
	MOVQ         BX, CX

o1loop:
	CMPQ   CX, $16
	JLT    o1tail
	VMULPS (SI), Z10, Z0
	VMAXPS Z0, Z8, Z8
	ADDQ   $64, SI
	SUBQ   $16, CX
	JMP    o1loop

o1tail:
	TESTQ     CX, CX
	JEQ       o1done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMULPS    Z0, Z10, Z0
	VMAXPS    Z0, Z8, K1, Z8

o1done:
	HMAX(Z8, Y8, X8, Z11, Y11, X11)
	VBROADCASTSS X8, Z8
	VPXORD       Z9, Z9, Z9
	MOVQ         AX, SI
	MOVQ         BX, CX

o2loop:
	CMPQ        CX, $16
	JLT         o2tail
	VMULPS      (SI), Z10, Z0
	VSUBPS      Z8, Z0, Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVUPS     Z0, (SI)
	VADDPS      Z0, Z9, Z9
	ADDQ        $64, SI
	SUBQ        $16, CX
	JMP         o2loop

o2tail:
	TESTQ       CX, CX
	JEQ         o2done
	TAILMASK
	VMOVUPS.Z   (SI), K1, Z0
	VMULPS      Z0, Z10, Z0
	VSUBPS      Z8, Z0, Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVAPS.Z   Z0, K1, Z0
	VADDPS      Z0, Z9, Z9
	VMOVUPS     Z0, K1, (SI)

o2done:
	HSUM(Z9, Y9, X9, Z11, Y11, X11)
	VMOVSS X8, mNew+24(FP)
	VMOVSS X9, sum+28(FP)
	VZEROUPPER
	RET

// func expAffineAsm(x *float32, n int, scale, shift float32)
TEXT ·expAffineAsm(SB), NOSPLIT, $0-24
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS scale+16(FP), Z10
	VBROADCASTSS shift+20(FP), Z8
	LOADEXPC

xloop:
	CMPQ        CX, $32
	JLT         xone
	VMOVUPS     (SI), Z0
	VMOVUPS     64(SI), Z4
	VFMSUB213PS Z8, Z10, Z0
	VFMSUB213PS Z8, Z10, Z4
	EXP(Z0, Z1, Z2, Z3)
	EXP(Z4, Z5, Z6, Z7)
	VMOVUPS     Z0, (SI)
	VMOVUPS     Z4, 64(SI)
	ADDQ        $128, SI
	SUBQ        $32, CX
	JMP         xloop

xone:
	CMPQ        CX, $16
	JLT         xtail
	VMOVUPS     (SI), Z0
	VFMSUB213PS Z8, Z10, Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVUPS     Z0, (SI)
	ADDQ        $64, SI
	SUBQ        $16, CX
	JMP         xone

xtail:
	TESTQ       CX, CX
	JEQ         xdone
	TAILMASK
	VMOVUPS.Z   (SI), K1, Z0
	VFMSUB213PS Z8, Z10, Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVUPS     Z0, K1, (SI)

xdone:
	VZEROUPPER
	RET

// func mulSubAsm(d, p *float32, n int, c, scale float32)
TEXT ·mulSubAsm(SB), NOSPLIT, $0-32
	MOVQ         d+0(FP), SI
	MOVQ         p+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS c+24(FP), Z8
	VBROADCASTSS scale+28(FP), Z10

mloop:
	CMPQ    CX, $16
	JLT     mtail
	VMOVUPS (SI), Z0
	VSUBPS  Z8, Z0, Z0
	VMULPS  (DI), Z0, Z0
	VMULPS  Z10, Z0, Z0
	VMOVUPS Z0, (SI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     mloop

mtail:
	TESTQ     CX, CX
	JEQ       mdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DI), K1, Z1
	VSUBPS    Z8, Z0, Z0
	VMULPS    Z1, Z0, Z0
	VMULPS    Z10, Z0, Z0
	VMOVUPS   Z0, K1, (SI)

mdone:
	VZEROUPPER
	RET

// func onlineTileAsm(x *float32, rows, w int, scale float32, m, sum *float32)
//
// onlineRowAsm on each of rows rows of w floats at x (contiguous), with the
// running max read from and written to m[r] and the row sum to sum[r]; the
// exp constants are loaded once.
TEXT ·onlineTileAsm(SB), NOSPLIT, $0-48
	MOVQ         x+0(FP), AX
	MOVQ         rows+8(FP), R9
	MOVQ         w+16(FP), BX
	VBROADCASTSS scale+24(FP), Z10
	MOVQ         m+32(FP), DI
	MOVQ         sum+40(FP), R8
	LOADEXPC

trow:
	TESTQ        R9, R9
	JEQ          tdone
	VBROADCASTSS (DI), Z8
	MOVQ         AX, SI
	MOVQ         BX, CX

t1loop:
	CMPQ   CX, $16
	JLT    t1tail
	VMULPS (SI), Z10, Z0
	VMAXPS Z0, Z8, Z8
	ADDQ   $64, SI
	SUBQ   $16, CX
	JMP    t1loop

t1tail:
	TESTQ     CX, CX
	JEQ       t1done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMULPS    Z0, Z10, Z0
	VMAXPS    Z0, Z8, K1, Z8

t1done:
	HMAX(Z8, Y8, X8, Z11, Y11, X11)
	VBROADCASTSS X8, Z8
	VPXORD       Z9, Z9, Z9
	MOVQ         AX, SI
	MOVQ         BX, CX

t2loop:
	CMPQ    CX, $32
	JLT     t2one
	VMULPS  (SI), Z10, Z0
	VMULPS  64(SI), Z10, Z4
	VSUBPS  Z8, Z0, Z0
	VSUBPS  Z8, Z4, Z4
	EXP(Z0, Z1, Z2, Z3)
	EXP(Z4, Z5, Z6, Z7)
	VMOVUPS Z0, (SI)
	VMOVUPS Z4, 64(SI)
	VADDPS  Z0, Z9, Z9
	VADDPS  Z4, Z9, Z9
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     t2loop

t2one:
	CMPQ    CX, $16
	JLT     t2tail
	VMULPS  (SI), Z10, Z0
	VSUBPS  Z8, Z0, Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, (SI)
	VADDPS  Z0, Z9, Z9
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     t2one

t2tail:
	TESTQ     CX, CX
	JEQ       t2done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMULPS    Z0, Z10, Z0
	VSUBPS    Z8, Z0, Z0
	EXP(Z0, Z1, Z2, Z3)
	VMOVAPS.Z Z0, K1, Z0
	VADDPS    Z0, Z9, Z9
	VMOVUPS   Z0, K1, (SI)

t2done:
	HSUM(Z9, Y9, X9, Z11, Y11, X11)
	VMOVSS X8, (DI)
	VMOVSS X9, (R8)
	LEAQ   (AX)(BX*4), AX
	ADDQ   $4, DI
	ADDQ   $4, R8
	DECQ   R9
	JMP    trow

tdone:
	VZEROUPPER
	RET

// func elu1Asm(dst, x *float32, n int)
//
// dst = exp(min(x, 0)) + max(x, 0); the operand order makes min and max
// return x when x is NaN.
TEXT ·elu1Asm(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   n+16(FP), CX
	LOADEXPC
	VPXORD Z9, Z9, Z9

uloop:
	CMPQ    CX, $16
	JLT     utail
	VMOVUPS (SI), Z4
	VMINPS  Z4, Z9, Z0
	VMAXPS  Z4, Z9, Z5
	EXP(Z0, Z1, Z2, Z3)
	VADDPS  Z5, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     uloop

utail:
	TESTQ     CX, CX
	JEQ       udone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z4
	VMINPS    Z4, Z9, Z0
	VMAXPS    Z4, Z9, Z5
	EXP(Z0, Z1, Z2, Z3)
	VADDPS    Z5, Z0, Z0
	VMOVUPS   Z0, K1, (DI)

udone:
	VZEROUPPER
	RET
