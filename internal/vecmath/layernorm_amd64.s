//go:build amd64 && !noasm

#include "textflag.h"
#include "macros_amd64.h"

DATA lnc<>+0(SB)/4, $0x3f800000 // 1
GLOBL lnc<>(SB), RODATA|NOPTR, $4

// func layerNormAsm(out, x, w, b *float32, d int, eps float32) (mean, rstd float32)
//
// Pass 1: Σx (Z0) → m, the mean rounded to float32 (Z8); pass 2: Σ(x−m)
// (Z3) and Σ(x−m)² (Z0) → the correction c (Z13) and rstd (Z9); pass 3:
// out = (x−m−c)·rstd·w + b. The correction makes x−mean as exact as with
// float64 statistics when the mean is large beside the spread.
TEXT ·layerNormAsm(SB), NOSPLIT, $0-56
	MOVQ       out+0(FP), DI
	MOVQ       x+8(FP), SI
	MOVQ       w+16(FP), R8
	MOVQ       b+24(FP), R9
	MOVQ       d+32(FP), BX
	VCVTSI2SSQ BX, X2, X2
	VPXORD     Z0, Z0, Z0
	MOVQ       SI, AX
	MOVQ       BX, CX

n1loop:
	CMPQ   CX, $16
	JLT    n1tail
	VADDPS (AX), Z0, Z0
	ADDQ   $64, AX
	SUBQ   $16, CX
	JMP    n1loop

n1tail:
	TESTQ     CX, CX
	JEQ       n1done
	TAILMASK
	VMOVUPS.Z (AX), K1, Z1
	VADDPS    Z1, Z0, Z0

n1done:
	HSUM(Z0, Y0, X0, Z1, Y1, X1)
	VDIVSS       X2, X0, X0
	VMOVAPS      X0, X13
	VBROADCASTSS X0, Z8
	VPXORD       Z0, Z0, Z0
	VPXORD       Z3, Z3, Z3
	MOVQ         SI, AX
	MOVQ         BX, CX

n2loop:
	CMPQ        CX, $16
	JLT         n2tail
	VMOVUPS     (AX), Z1
	VSUBPS      Z8, Z1, Z1
	VADDPS      Z1, Z3, Z3
	VFMADD231PS Z1, Z1, Z0
	ADDQ        $64, AX
	SUBQ        $16, CX
	JMP         n2loop

n2tail:
	TESTQ       CX, CX
	JEQ         n2done
	TAILMASK
	VMOVUPS.Z   (AX), K1, Z1
	VSUBPS.Z    Z8, Z1, K1, Z1
	VADDPS      Z1, Z3, Z3
	VFMADD231PS Z1, Z1, Z0

n2done:
	// c = Σ(x−m)/D corrects the rounded mean m: mean = m + c and
	// var = Σ(x−m)²/D − c².
	HSUM(Z0, Y0, X0, Z1, Y1, X1)
	HSUM(Z3, Y3, X3, Z1, Y1, X1)
	VDIVSS       X2, X3, X3
	VDIVSS       X2, X0, X0
	VFNMADD231SS X3, X3, X0
	VADDSS       X3, X13, X13
	VMOVSS       X13, mean+48(FP)
	VBROADCASTSS X3, Z13
	VADDSS       eps+40(FP), X0, X0
	VSQRTSS      X0, X0, X0
	VMOVSS       lnc<>+0(SB), X3
	VDIVSS       X0, X3, X3
	VMOVSS       X3, rstd+52(FP)
	VBROADCASTSS X3, Z9
	MOVQ         BX, CX

n3loop:
	CMPQ        CX, $16
	JLT         n3tail
	VMOVUPS     (SI), Z1
	VSUBPS      Z8, Z1, Z1
	VSUBPS      Z13, Z1, Z1
	VMULPS      Z9, Z1, Z1
	VMOVUPS     (R9), Z2
	VFMADD231PS (R8), Z1, Z2
	VMOVUPS     Z2, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	ADDQ        $64, R8
	ADDQ        $64, R9
	SUBQ        $16, CX
	JMP         n3loop

n3tail:
	TESTQ       CX, CX
	JEQ         n3done
	TAILMASK
	VMOVUPS.Z   (SI), K1, Z1
	VSUBPS      Z8, Z1, Z1
	VSUBPS      Z13, Z1, Z1
	VMULPS      Z9, Z1, Z1
	VMOVUPS.Z   (R9), K1, Z2
	VMOVUPS.Z   (R8), K1, Z3
	VFMADD231PS Z3, Z1, Z2
	VMOVUPS     Z2, K1, (DI)

n3done:
	VZEROUPPER
	RET

// func layerNormBackAsm(dx, dw, db, dout, x, w *float32, d int, mean, rstd float32)
//
// With norm = (x−mean)·rstd and dn = dout·w: pass 1 sums dn (Z10) and
// dn·norm (Z11) and divides by d; pass 2 adds dout·norm to dw, dout to db
// and (dn − Σdn/d − norm·Σdn·norm/d)·rstd to dx.
TEXT ·layerNormBackAsm(SB), NOSPLIT, $0-64
	MOVQ         dout+24(FP), SI
	MOVQ         x+32(FP), AX
	MOVQ         w+40(FP), R8
	MOVQ         d+48(FP), BX
	VCVTSI2SSQ   BX, X12, X12
	VBROADCASTSS mean+56(FP), Z8
	VBROADCASTSS rstd+60(FP), Z9
	VPXORD       Z10, Z10, Z10
	VPXORD       Z11, Z11, Z11
	MOVQ         BX, CX

d1loop:
	CMPQ        CX, $16
	JLT         d1tail
	VMOVUPS     (AX), Z1
	VSUBPS      Z8, Z1, Z1
	VMULPS      Z9, Z1, Z1
	VMOVUPS     (SI), Z2
	VMULPS      (R8), Z2, Z2
	VADDPS      Z2, Z10, Z10
	VFMADD231PS Z1, Z2, Z11
	ADDQ        $64, AX
	ADDQ        $64, SI
	ADDQ        $64, R8
	SUBQ        $16, CX
	JMP         d1loop

d1tail:
	TESTQ       CX, CX
	JEQ         d1done
	TAILMASK
	VMOVUPS.Z   (AX), K1, Z1
	VSUBPS      Z8, Z1, Z1
	VMULPS.Z    Z9, Z1, K1, Z1
	VMOVUPS.Z   (SI), K1, Z2
	VMOVUPS.Z   (R8), K1, Z3
	VMULPS      Z3, Z2, Z2
	VADDPS      Z2, Z10, Z10
	VFMADD231PS Z1, Z2, Z11

d1done:
	HSUM(Z10, Y10, X10, Z1, Y1, X1)
	HSUM(Z11, Y11, X11, Z1, Y1, X1)
	VDIVSS       X12, X10, X10
	VDIVSS       X12, X11, X11
	VBROADCASTSS X10, Z10
	VBROADCASTSS X11, Z11
	MOVQ         dx+0(FP), DI
	MOVQ         dw+8(FP), R10
	MOVQ         db+16(FP), R11
	MOVQ         dout+24(FP), SI
	MOVQ         x+32(FP), AX
	MOVQ         w+40(FP), R8
	MOVQ         BX, CX

d2loop:
	CMPQ         CX, $16
	JLT          d2tail
	VMOVUPS      (AX), Z1
	VSUBPS       Z8, Z1, Z1
	VMULPS       Z9, Z1, Z1
	VMOVUPS      (SI), Z4
	VMULPS       (R8), Z4, Z2
	VMOVUPS      (R10), Z5
	VFMADD231PS  Z1, Z4, Z5
	VMOVUPS      Z5, (R10)
	VADDPS       (R11), Z4, Z6
	VMOVUPS      Z6, (R11)
	VSUBPS       Z10, Z2, Z2
	VFNMADD231PS Z11, Z1, Z2
	VMOVUPS      (DI), Z7
	VFMADD231PS  Z9, Z2, Z7
	VMOVUPS      Z7, (DI)
	ADDQ         $64, AX
	ADDQ         $64, SI
	ADDQ         $64, R8
	ADDQ         $64, DI
	ADDQ         $64, R10
	ADDQ         $64, R11
	SUBQ         $16, CX
	JMP          d2loop

d2tail:
	TESTQ        CX, CX
	JEQ          d2done
	TAILMASK
	VMOVUPS.Z    (AX), K1, Z1
	VSUBPS       Z8, Z1, Z1
	VMULPS       Z9, Z1, Z1
	VMOVUPS.Z    (SI), K1, Z4
	VMOVUPS.Z    (R8), K1, Z3
	VMULPS       Z3, Z4, Z2
	VMOVUPS.Z    (R10), K1, Z5
	VFMADD231PS  Z1, Z4, Z5
	VMOVUPS      Z5, K1, (R10)
	VMOVUPS.Z    (R11), K1, Z6
	VADDPS       Z4, Z6, Z6
	VMOVUPS      Z6, K1, (R11)
	VSUBPS       Z10, Z2, Z2
	VFNMADD231PS Z11, Z1, Z2
	VMOVUPS.Z    (DI), K1, Z7
	VFMADD231PS  Z9, Z2, Z7
	VMOVUPS      Z7, K1, (DI)

d2done:
	VZEROUPPER
	RET
