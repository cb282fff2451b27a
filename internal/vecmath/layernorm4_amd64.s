//go:build amd64 && !noasm

#include "textflag.h"
#include "macros_amd64.h"

DATA lnc<>+0(SB)/4, $0x3f800000 // 1
GLOBL lnc<>(SB), RODATA|NOPTR, $4

// The 4-row LayerNorm kernels run layerNormAsm's and
// layerNormBackAsm's instructions for 4 rows (at x + r·d, r < 4) in
// lockstep, each row in registers of its own, so one row's reductions
// and divisions overlap the others' instead of stalling the core; every
// row gets the same operations in the same order as alone, so the same
// bits.

// func layerNorm4Asm(out, x, w, b *float32, d int, eps float32, stats *float32)
//
// stats receives mean, rstd of rows 0..3 (8 floats).
TEXT ·layerNorm4Asm(SB), NOSPLIT, $0-56
	MOVQ       out+0(FP), DI
	MOVQ       x+8(FP), SI
	MOVQ       w+16(FP), R8
	MOVQ       b+24(FP), R9
	MOVQ       d+32(FP), BX
	MOVQ       stats+48(FP), R12
	LEAQ       (BX*4), R10
	LEAQ       (R10)(R10*2), R11
	VCVTSI2SSQ BX, X2, X2
	VPXORD     Z0, Z0, Z0
	VPXORD     Z1, Z1, Z1
	VPXORD     Z3, Z3, Z3
	VPXORD     Z4, Z4, Z4
	MOVQ       SI, AX
	MOVQ       BX, CX

m1loop:
	CMPQ   CX, $16
	JLT    m1tail
	VADDPS (AX), Z0, Z0
	VADDPS (AX)(R10*1), Z1, Z1
	VADDPS (AX)(R10*2), Z3, Z3
	VADDPS (AX)(R11*1), Z4, Z4
	ADDQ   $64, AX
	SUBQ   $16, CX
	JMP    m1loop

m1tail:
	TESTQ     CX, CX
	JEQ       m1done
	TAILMASK
	VMOVUPS.Z (AX), K1, Z24
	VADDPS    Z24, Z0, Z0
	VMOVUPS.Z (AX)(R10*1), K1, Z24
	VADDPS    Z24, Z1, Z1
	VMOVUPS.Z (AX)(R10*2), K1, Z24
	VADDPS    Z24, Z3, Z3
	VMOVUPS.Z (AX)(R11*1), K1, Z24
	VADDPS    Z24, Z4, Z4

m1done:
	// Row r's rounded mean m in lane 0 of X(r'), broadcast to Z(8+r), kept
	// in stats[2r] until the correction is added.
	HSUM(Z0, Y0, X0, Z5, Y5, X5)
	HSUM(Z1, Y1, X1, Z6, Y6, X6)
	HSUM(Z3, Y3, X3, Z7, Y7, X7)
	HSUM(Z4, Y4, X4, Z12, Y12, X12)
	VDIVSS       X2, X0, X0
	VDIVSS       X2, X1, X1
	VDIVSS       X2, X3, X3
	VDIVSS       X2, X4, X4
	VMOVSS       X0, 0(R12)
	VMOVSS       X1, 8(R12)
	VMOVSS       X3, 16(R12)
	VMOVSS       X4, 24(R12)
	VBROADCASTSS X0, Z8
	VBROADCASTSS X1, Z9
	VBROADCASTSS X3, Z10
	VBROADCASTSS X4, Z11
	VPXORD       Z16, Z16, Z16
	VPXORD       Z17, Z17, Z17
	VPXORD       Z18, Z18, Z18
	VPXORD       Z19, Z19, Z19
	VPXORD       Z20, Z20, Z20
	VPXORD       Z21, Z21, Z21
	VPXORD       Z22, Z22, Z22
	VPXORD       Z23, Z23, Z23
	MOVQ         SI, AX
	MOVQ         BX, CX

m2loop:
	CMPQ        CX, $16
	JLT         m2tail
	VMOVUPS     (AX), Z24
	VMOVUPS     (AX)(R10*1), Z25
	VMOVUPS     (AX)(R10*2), Z26
	VMOVUPS     (AX)(R11*1), Z27
	VSUBPS      Z8, Z24, Z24
	VSUBPS      Z9, Z25, Z25
	VSUBPS      Z10, Z26, Z26
	VSUBPS      Z11, Z27, Z27
	VADDPS      Z24, Z16, Z16
	VADDPS      Z25, Z17, Z17
	VADDPS      Z26, Z18, Z18
	VADDPS      Z27, Z19, Z19
	VFMADD231PS Z24, Z24, Z20
	VFMADD231PS Z25, Z25, Z21
	VFMADD231PS Z26, Z26, Z22
	VFMADD231PS Z27, Z27, Z23
	ADDQ        $64, AX
	SUBQ        $16, CX
	JMP         m2loop

m2tail:
	TESTQ       CX, CX
	JEQ         m2done
	TAILMASK
	VMOVUPS.Z   (AX), K1, Z24
	VMOVUPS.Z   (AX)(R10*1), K1, Z25
	VMOVUPS.Z   (AX)(R10*2), K1, Z26
	VMOVUPS.Z   (AX)(R11*1), K1, Z27
	VSUBPS.Z    Z8, Z24, K1, Z24
	VSUBPS.Z    Z9, Z25, K1, Z25
	VSUBPS.Z    Z10, Z26, K1, Z26
	VSUBPS.Z    Z11, Z27, K1, Z27
	VADDPS      Z24, Z16, Z16
	VADDPS      Z25, Z17, Z17
	VADDPS      Z26, Z18, Z18
	VADDPS      Z27, Z19, Z19
	VFMADD231PS Z24, Z24, Z20
	VFMADD231PS Z25, Z25, Z21
	VFMADD231PS Z26, Z26, Z22
	VFMADD231PS Z27, Z27, Z23

m2done:
	// Per row (as layerNormAsm): c = Σ(x−m)/D, var = Σ(x−m)²/D − c²,
	// mean = m + c, rstd = 1/sqrt(var + eps); c to Z(12+r), rstd to
	// Z(16+r).
	// (HSUM's 128- and 256-bit steps take registers below 16: VEX.)
	VMOVAPS Z20, Z0
	VMOVAPS Z21, Z1
	VMOVAPS Z22, Z3
	VMOVAPS Z23, Z4
	HSUM(Z0, Y0, X0, Z5, Y5, X5)
	HSUM(Z1, Y1, X1, Z6, Y6, X6)
	HSUM(Z3, Y3, X3, Z7, Y7, X7)
	HSUM(Z4, Y4, X4, Z12, Y12, X12)
	VMOVAPS Z0, Z20
	VMOVAPS Z1, Z21
	VMOVAPS Z3, Z22
	VMOVAPS Z4, Z23
	VMOVAPS Z16, Z0
	VMOVAPS Z17, Z1
	VMOVAPS Z18, Z3
	VMOVAPS Z19, Z4
	HSUM(Z0, Y0, X0, Z5, Y5, X5)
	HSUM(Z1, Y1, X1, Z6, Y6, X6)
	HSUM(Z3, Y3, X3, Z7, Y7, X7)
	HSUM(Z4, Y4, X4, Z12, Y12, X12)
	VMOVAPS Z0, Z16
	VMOVAPS Z1, Z17
	VMOVAPS Z3, Z18
	VMOVAPS Z4, Z19
	VDIVSS       X2, X16, X16
	VDIVSS       X2, X17, X17
	VDIVSS       X2, X18, X18
	VDIVSS       X2, X19, X19
	VDIVSS       X2, X20, X20
	VDIVSS       X2, X21, X21
	VDIVSS       X2, X22, X22
	VDIVSS       X2, X23, X23
	VFNMADD231SS X16, X16, X20
	VFNMADD231SS X17, X17, X21
	VFNMADD231SS X18, X18, X22
	VFNMADD231SS X19, X19, X23
	VMOVSS       0(R12), X0
	VMOVSS       8(R12), X1
	VMOVSS       16(R12), X3
	VMOVSS       24(R12), X4
	VADDSS       X16, X0, X0
	VADDSS       X17, X1, X1
	VADDSS       X18, X3, X3
	VADDSS       X19, X4, X4
	VMOVSS       X0, 0(R12)
	VMOVSS       X1, 8(R12)
	VMOVSS       X3, 16(R12)
	VMOVSS       X4, 24(R12)
	VBROADCASTSS X16, Z12
	VBROADCASTSS X17, Z13
	VBROADCASTSS X18, Z14
	VBROADCASTSS X19, Z15
	VMOVSS       eps+40(FP), X5
	VADDSS       X5, X20, X20
	VADDSS       X5, X21, X21
	VADDSS       X5, X22, X22
	VADDSS       X5, X23, X23
	VSQRTSS      X20, X20, X20
	VSQRTSS      X21, X21, X21
	VSQRTSS      X22, X22, X22
	VSQRTSS      X23, X23, X23
	VMOVSS       lnc<>+0(SB), X16
	VMOVSS       lnc<>+0(SB), X17
	VMOVSS       lnc<>+0(SB), X18
	VMOVSS       lnc<>+0(SB), X19
	VDIVSS       X20, X16, X16
	VDIVSS       X21, X17, X17
	VDIVSS       X22, X18, X18
	VDIVSS       X23, X19, X19
	VMOVSS       X16, 4(R12)
	VMOVSS       X17, 12(R12)
	VMOVSS       X18, 20(R12)
	VMOVSS       X19, 28(R12)
	VBROADCASTSS X16, Z16
	VBROADCASTSS X17, Z17
	VBROADCASTSS X18, Z18
	VBROADCASTSS X19, Z19
	MOVQ         BX, CX

// LN4OUT writes row r's chunk: out = (x−m−c)·rstd·w + b with w in Z29, b
// in Z28 (t0, t1 temporaries; store masked by K1 when tail).
#define LN4OUT(idx, m, c, s, t0, t1) \
	VMOVUPS     (SI)(idx), t0; \
	VSUBPS      m, t0, t0;     \
	VSUBPS      c, t0, t0;     \
	VMULPS      s, t0, t0;     \
	VMOVAPS     Z28, t1;       \
	VFMADD231PS Z29, t0, t1;   \
	VMOVUPS     t1, (DI)(idx)

#define LN4OUTT(idx, m, c, s, t0, t1) \
	VMOVUPS.Z   (SI)(idx), K1, t0; \
	VSUBPS      m, t0, t0;     \
	VSUBPS      c, t0, t0;     \
	VMULPS      s, t0, t0;     \
	VMOVAPS     Z28, t1;       \
	VFMADD231PS Z29, t0, t1;   \
	VMOVUPS     t1, K1, (DI)(idx)

	XORQ DX, DX

m3loop:
	CMPQ    CX, $16
	JLT     m3tail
	VMOVUPS (R9), Z28
	VMOVUPS (R8), Z29
	LN4OUT(DX*1, Z8, Z12, Z16, Z24, Z25)
	ADDQ    R10, DX
	LN4OUT(DX*1, Z9, Z13, Z17, Z26, Z27)
	ADDQ    R10, DX
	LN4OUT(DX*1, Z10, Z14, Z18, Z24, Z25)
	ADDQ    R10, DX
	LN4OUT(DX*1, Z11, Z15, Z19, Z26, Z27)
	XORQ    DX, DX
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, R8
	ADDQ    $64, R9
	SUBQ    $16, CX
	JMP     m3loop

m3tail:
	TESTQ     CX, CX
	JEQ       m3done
	TAILMASK
	VMOVUPS.Z (R9), K1, Z28
	VMOVUPS.Z (R8), K1, Z29
	XORQ      DX, DX
	LN4OUTT(DX*1, Z8, Z12, Z16, Z24, Z25)
	ADDQ      R10, DX
	LN4OUTT(DX*1, Z9, Z13, Z17, Z26, Z27)
	ADDQ      R10, DX
	LN4OUTT(DX*1, Z10, Z14, Z18, Z24, Z25)
	ADDQ      R10, DX
	LN4OUTT(DX*1, Z11, Z15, Z19, Z26, Z27)

m3done:
	VZEROUPPER
	RET

// LB4P1 is layerNormBackAsm's pass 1 for the row at idx: norm and dn of
// the chunk (w in Z26), added to the row's sums sdm (Σdn) and sdnm
// (Σdn·norm); mean m, rstd s.
#define LB4P1(idx, m, s, sdm, sdnm) \
	VMOVUPS     (AX)(idx), Z27; \
	VSUBPS      m, Z27, Z27;    \
	VMULPS      s, Z27, Z27;    \
	VMOVUPS     (SI)(idx), Z28; \
	VMULPS      Z26, Z28, Z28;  \
	VADDPS      Z28, sdm, sdm;  \
	VFMADD231PS Z27, Z28, sdnm

#define LB4P1T(idx, m, s, sdm, sdnm) \
	VMOVUPS.Z   (AX)(idx), K1, Z27; \
	VSUBPS      m, Z27, Z27;        \
	VMULPS.Z    s, Z27, K1, Z27;    \
	VMOVUPS.Z   (SI)(idx), K1, Z28; \
	VMULPS      Z26, Z28, Z28;      \
	VADDPS      Z28, sdm, sdm;      \
	VFMADD231PS Z27, Z28, sdnm

// LB4P2 is pass 2 for the row at idx: dw (Z24) += dout·norm, db (Z25) +=
// dout, dx += (dn − dm − norm·dnm)·rstd; w in Z26.
#define LB4P2(idx, m, s, dm, dnm) \
	VMOVUPS      (AX)(idx), Z27; \
	VSUBPS       m, Z27, Z27;    \
	VMULPS       s, Z27, Z27;    \
	VMOVUPS      (SI)(idx), Z28; \
	VMULPS       Z26, Z28, Z29;  \
	VFMADD231PS  Z27, Z28, Z24;  \
	VADDPS       Z28, Z25, Z25;  \
	VSUBPS       dm, Z29, Z29;   \
	VFNMADD231PS dnm, Z27, Z29;  \
	VMOVUPS      (DI)(idx), Z30; \
	VFMADD231PS  s, Z29, Z30;    \
	VMOVUPS      Z30, (DI)(idx)

#define LB4P2T(idx, m, s, dm, dnm) \
	VMOVUPS.Z    (AX)(idx), K1, Z27; \
	VSUBPS       m, Z27, Z27;        \
	VMULPS       s, Z27, Z27;        \
	VMOVUPS.Z    (SI)(idx), K1, Z28; \
	VMULPS       Z26, Z28, Z29;      \
	VFMADD231PS  Z27, Z28, Z24;      \
	VADDPS       Z28, Z25, Z25;      \
	VSUBPS       dm, Z29, Z29;       \
	VFNMADD231PS dnm, Z27, Z29;      \
	VMOVUPS.Z    (DI)(idx), K1, Z30; \
	VFMADD231PS  s, Z29, Z30;        \
	VMOVUPS      Z30, K1, (DI)(idx)

// func layerNormBack4Asm(dx, dw, db, dout, x, w *float32, d int, stats *float32)
//
// layerNormBackAsm for rows 0..3 (dx, dout, x at + r·d), mean and rstd of
// row r at stats[2r], stats[2r+1]; dw and db take the rows' terms in row
// order, chunk by chunk, as 4 calls of layerNormBackAsm would.
TEXT ·layerNormBack4Asm(SB), NOSPLIT, $0-64
	MOVQ         dout+24(FP), SI
	MOVQ         x+32(FP), AX
	MOVQ         w+40(FP), R8
	MOVQ         d+48(FP), BX
	MOVQ         stats+56(FP), R12
	VCVTSI2SSQ   BX, X13, X13
	VBROADCASTSS 0(R12), Z16
	VBROADCASTSS 4(R12), Z20
	VBROADCASTSS 8(R12), Z17
	VBROADCASTSS 12(R12), Z21
	VBROADCASTSS 16(R12), Z18
	VBROADCASTSS 20(R12), Z22
	VBROADCASTSS 24(R12), Z19
	VBROADCASTSS 28(R12), Z23
	LEAQ         (BX*4), R13
	LEAQ         (R13)(R13*2), R14
	VPXORD       Z0, Z0, Z0
	VPXORD       Z1, Z1, Z1
	VPXORD       Z3, Z3, Z3
	VPXORD       Z4, Z4, Z4
	VPXORD       Z5, Z5, Z5
	VPXORD       Z6, Z6, Z6
	VPXORD       Z7, Z7, Z7
	VPXORD       Z12, Z12, Z12
	MOVQ         BX, CX

e1loop:
	CMPQ    CX, $16
	JLT     e1tail
	VMOVUPS (R8), Z26
	XORQ    DX, DX
	LB4P1(DX*1, Z16, Z20, Z0, Z5)
	LB4P1(R13*1, Z17, Z21, Z1, Z6)
	LB4P1(R13*2, Z18, Z22, Z3, Z7)
	LB4P1(R14*1, Z19, Z23, Z4, Z12)
	ADDQ    $64, AX
	ADDQ    $64, SI
	ADDQ    $64, R8
	SUBQ    $16, CX
	JMP     e1loop

e1tail:
	TESTQ     CX, CX
	JEQ       e1done
	TAILMASK
	VMOVUPS.Z (R8), K1, Z26
	XORQ      DX, DX
	LB4P1T(DX*1, Z16, Z20, Z0, Z5)
	LB4P1T(R13*1, Z17, Z21, Z1, Z6)
	LB4P1T(R13*2, Z18, Z22, Z3, Z7)
	LB4P1T(R14*1, Z19, Z23, Z4, Z12)

e1done:
	// dm, dnm of row r: Σ/d, broadcast (dm to Z0, Z1, Z3, Z4; dnm to Z5,
	// Z6, Z7, Z12).
	HSUM(Z0, Y0, X0, Z2, Y2, X2)
	HSUM(Z1, Y1, X1, Z8, Y8, X8)
	HSUM(Z3, Y3, X3, Z9, Y9, X9)
	HSUM(Z4, Y4, X4, Z10, Y10, X10)
	HSUM(Z5, Y5, X5, Z11, Y11, X11)
	HSUM(Z6, Y6, X6, Z14, Y14, X14)
	HSUM(Z7, Y7, X7, Z15, Y15, X15)
	HSUM(Z12, Y12, X12, Z2, Y2, X2)
	VDIVSS       X13, X0, X0
	VDIVSS       X13, X1, X1
	VDIVSS       X13, X3, X3
	VDIVSS       X13, X4, X4
	VDIVSS       X13, X5, X5
	VDIVSS       X13, X6, X6
	VDIVSS       X13, X7, X7
	VDIVSS       X13, X12, X12
	VBROADCASTSS X0, Z0
	VBROADCASTSS X1, Z1
	VBROADCASTSS X3, Z3
	VBROADCASTSS X4, Z4
	VBROADCASTSS X5, Z5
	VBROADCASTSS X6, Z6
	VBROADCASTSS X7, Z7
	VBROADCASTSS X12, Z12
	MOVQ         dx+0(FP), DI
	MOVQ         dw+8(FP), R10
	MOVQ         db+16(FP), R11
	MOVQ         dout+24(FP), SI
	MOVQ         x+32(FP), AX
	MOVQ         w+40(FP), R8
	MOVQ         BX, CX

e2loop:
	CMPQ    CX, $16
	JLT     e2tail
	VMOVUPS (R8), Z26
	VMOVUPS (R10), Z24
	VMOVUPS (R11), Z25
	XORQ    DX, DX
	LB4P2(DX*1, Z16, Z20, Z0, Z5)
	LB4P2(R13*1, Z17, Z21, Z1, Z6)
	LB4P2(R13*2, Z18, Z22, Z3, Z7)
	LB4P2(R14*1, Z19, Z23, Z4, Z12)
	VMOVUPS Z24, (R10)
	VMOVUPS Z25, (R11)
	ADDQ    $64, AX
	ADDQ    $64, SI
	ADDQ    $64, R8
	ADDQ    $64, DI
	ADDQ    $64, R10
	ADDQ    $64, R11
	SUBQ    $16, CX
	JMP     e2loop

e2tail:
	TESTQ     CX, CX
	JEQ       e2done
	TAILMASK
	VMOVUPS.Z (R8), K1, Z26
	VMOVUPS.Z (R10), K1, Z24
	VMOVUPS.Z (R11), K1, Z25
	XORQ      DX, DX
	LB4P2T(DX*1, Z16, Z20, Z0, Z5)
	LB4P2T(R13*1, Z17, Z21, Z1, Z6)
	LB4P2T(R13*2, Z18, Z22, Z3, Z7)
	LB4P2T(R14*1, Z19, Z23, Z4, Z12)
	VMOVUPS   Z24, K1, (R10)
	VMOVUPS   Z25, K1, (R11)

e2done:
	VZEROUPPER
	RET
