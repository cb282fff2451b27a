//go:build amd64 && !noasm

#include "textflag.h"
#include "macros_amd64.h"

// The MLP activations (act.go), 16 lanes at a time. The exp is the EXP
// macro of vecmath_amd64.s (its constants in Z20-Z31, loaded by LOADEXPC),
// repeated here because macros do not cross files.

DATA actc<>+0(SB)/4, $0x3fcc422a  // 2·sqrt(2/π)
DATA actc<>+4(SB)/4, $0x3d922279  // 2·sqrt(2/π)·0.044715
DATA actc<>+8(SB)/4, $0x42200000  // 40: tanh(20) = 1 in float32, e^40 + 1 is finite
DATA actc<>+12(SB)/4, $0x3f4c422a // sqrt(2/π)
DATA actc<>+16(SB)/4, $0x3ddb33b6 // 3·0.044715·sqrt(2/π)
DATA actc<>+20(SB)/4, $0x3f3504f3 // 1/sqrt(2)
DATA actc<>+24(SB)/4, $0x3f000000 // 0.5
DATA actc<>+28(SB)/4, $0x3ecc422a // 1/sqrt(2π)
DATA actc<>+32(SB)/4, $0x7fffffff // |x| mask
// erfc(z) = t·exp(−z² + E(t)), t = 1/(1 + z/2) (Numerical Recipes erfcc):
// E's coefficients e0 … e9.
DATA actc<>+36(SB)/4, $0xbfa1fc4e // e0 = −1.26551223
DATA actc<>+40(SB)/4, $0x3f8000c7 // e1 = 1.00002368
DATA actc<>+44(SB)/4, $0x3ebf88fb // e2 = 0.37409196
DATA actc<>+48(SB)/4, $0x3dc636c9 // e3 = 0.09678418
DATA actc<>+52(SB)/4, $0xbe3ec24c // e4 = −0.18628806
DATA actc<>+56(SB)/4, $0x3e8ec7cc // e5 = 0.27886807
DATA actc<>+60(SB)/4, $0xbf914e5d // e6 = −1.13520398
DATA actc<>+64(SB)/4, $0x3fbe87b0 // e7 = 1.48851587
DATA actc<>+68(SB)/4, $0xbf527892 // e8 = −0.82215223
DATA actc<>+72(SB)/4, $0x3e2ef945 // e9 = 0.17087277
DATA actc<>+76(SB)/4, $0x41a00000 // 20
DATA actc<>+80(SB)/4, $0xc1a00000 // −20
GLOBL actc<>(SB), RODATA|NOPTR, $84

DATA expk<>+0(SB)/4, $0xc2d00000  // -104: lower clamp
DATA expk<>+4(SB)/4, $0x42c80000  // 100: upper clamp
DATA expk<>+8(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expk<>+12(SB)/4, $0x3f318000 // C1 = 0.693359375 (ln 2 = C1 + C2)
DATA expk<>+16(SB)/4, $0xb95e8083 // C2 = -2.12194440e-4
DATA expk<>+20(SB)/4, $0x39506967 // p0
DATA expk<>+24(SB)/4, $0x3ab743ce // p1
DATA expk<>+28(SB)/4, $0x3c088908 // p2
DATA expk<>+32(SB)/4, $0x3d2aa9c1 // p3
DATA expk<>+36(SB)/4, $0x3e2aaaaa // p4
DATA expk<>+40(SB)/4, $0x3f000000 // p5 = 0.5
DATA expk<>+44(SB)/4, $0x3f800000 // 1
GLOBL expk<>(SB), RODATA|NOPTR, $48

#define LOADEXPK \
	VBROADCASTSS expk<>+0(SB), Z20;  \
	VBROADCASTSS expk<>+4(SB), Z21;  \
	VBROADCASTSS expk<>+8(SB), Z22;  \
	VBROADCASTSS expk<>+12(SB), Z23; \
	VBROADCASTSS expk<>+16(SB), Z24; \
	VBROADCASTSS expk<>+20(SB), Z25; \
	VBROADCASTSS expk<>+24(SB), Z26; \
	VBROADCASTSS expk<>+28(SB), Z27; \
	VBROADCASTSS expk<>+32(SB), Z28; \
	VBROADCASTSS expk<>+36(SB), Z29; \
	VBROADCASTSS expk<>+40(SB), Z30; \
	VBROADCASTSS expk<>+44(SB), Z31

// EXPV is vecmath_amd64.s's EXP: x = exp(x), temporaries n, t, r2.
#define EXPV(x, n, t, r2) \
	VMAXPS       x, Z20, x;   \
	VMINPS       x, Z21, x;   \
	VMULPS       Z22, x, n;   \
	VRNDSCALEPS  $0, n, n;    \
	VFNMADD231PS Z23, n, x;   \
	VFNMADD231PS Z24, n, x;   \
	VMOVAPS      Z25, t;      \
	VFMADD213PS  Z26, x, t;   \
	VFMADD213PS  Z27, x, t;   \
	VFMADD213PS  Z28, x, t;   \
	VFMADD213PS  Z29, x, t;   \
	VFMADD213PS  Z30, x, t;   \
	VMULPS       x, x, r2;    \
	VFMADD213PS  x, r2, t;    \
	VADDPS       Z31, t, t;   \
	VSCALEFPS    n, t, x

// Constants of the bodies: Z10-Z19.
#define LOADACTC \
	VBROADCASTSS actc<>+0(SB), Z10;  \
	VBROADCASTSS actc<>+4(SB), Z11;  \
	VBROADCASTSS actc<>+8(SB), Z12;  \
	VBROADCASTSS actc<>+12(SB), Z13; \
	VBROADCASTSS actc<>+16(SB), Z14; \
	VBROADCASTSS actc<>+20(SB), Z15; \
	VBROADCASTSS actc<>+24(SB), Z16; \
	VBROADCASTSS actc<>+28(SB), Z17; \
	VBROADCASTSS actc<>+32(SB), Z18; \
	VPXORD       Z19, Z19, Z19

// GELUNEW_ES leaves, for x in Z0, e·s in Z4 and s in Z3, where
// e = exp(2u), u = sqrt(2/π)(x + 0.044715x³), s = 1/(e + 1), so that
// 1 + tanh u = 2es and 1 − tanh u = 2s (no cancellation); x² in Z1.
#define GELUNEW_ES \
	VMULPS      Z0, Z0, Z1;   \
	VMOVAPS     Z11, Z2;      \
	VFMADD213PS Z10, Z1, Z2;  \
	VMULPS      Z0, Z2, Z2;   \
	VMINPS      Z2, Z12, Z2;  \
	EXPV(Z2, Z5, Z6, Z7);     \
	VADDPS      Z31, Z2, Z3;  \
	VDIVPS      Z3, Z31, Z3;  \
	VMULPS      Z3, Z2, Z4

// GELUNEW_F: Z4 = gelu_new(x) = 0.5x(1 + tanh u) = x·e·s.
#define GELUNEW_F \
	GELUNEW_ES;               \
	VMULPS      Z0, Z4, Z4

// CLAMP20 clamps x (Z0) to [−20, 20] (NaN stays NaN), clobbering Z8 and
// Z9: beyond, both derivatives are 1 or 0 in float32, and x² and x·φ(x)
// would overflow to Inf·0.
#define CLAMP20 \
	VBROADCASTSS actc<>+76(SB), Z8; \
	VMINPS       Z0, Z8, Z0;  \
	VBROADCASTSS actc<>+80(SB), Z9; \
	VMAXPS       Z0, Z9, Z0

// GELUNEW_B: Z4 = gelu_new'(x) = 0.5(1 + tanh u) + 0.5x(1 − tanh²u)u'
// = es(1 + 2xs·u'), u' = sqrt(2/π)(1 + 3·0.044715x²).
#define GELUNEW_B \
	CLAMP20;                  \
	GELUNEW_ES;               \
	VMOVAPS     Z14, Z5;      \
	VFMADD213PS Z13, Z1, Z5;  \
	VMULPS      Z0, Z5, Z5;   \
	VMULPS      Z3, Z5, Z5;   \
	VADDPS      Z5, Z5, Z5;   \
	VADDPS      Z31, Z5, Z5;  \
	VMULPS      Z5, Z4, Z4

// GELU_PHI leaves Φ(x) = 0.5·erfc(−x/sqrt2) in Z4 and a = |x|/sqrt2 in Z1:
// c = erfc(a) = t·exp(−a² + E(t)) with t = 1/(1 + a/2); Φ = c/2 for
// x < 0 and 1 − c/2 otherwise (each side without cancellation).
#define GELU_PHI \
	VANDPS       Z18, Z0, Z1;  \
	VMULPS       Z15, Z1, Z1;  \
	VMOVAPS      Z1, Z2;       \
	VFMADD213PS  Z31, Z16, Z2; \
	VDIVPS       Z2, Z31, Z2;  \
	VBROADCASTSS actc<>+72(SB), Z3; \
	VFMADD213PS.BCST actc<>+68(SB), Z2, Z3; \
	VFMADD213PS.BCST actc<>+64(SB), Z2, Z3; \
	VFMADD213PS.BCST actc<>+60(SB), Z2, Z3; \
	VFMADD213PS.BCST actc<>+56(SB), Z2, Z3; \
	VFMADD213PS.BCST actc<>+52(SB), Z2, Z3; \
	VFMADD213PS.BCST actc<>+48(SB), Z2, Z3; \
	VFMADD213PS.BCST actc<>+44(SB), Z2, Z3; \
	VFMADD213PS.BCST actc<>+40(SB), Z2, Z3; \
	VFMADD213PS.BCST actc<>+36(SB), Z2, Z3; \
	VFNMADD231PS Z1, Z1, Z3;   \
	EXPV(Z3, Z5, Z6, Z7);      \
	VMULPS       Z2, Z3, Z3;   \
	VMULPS       Z16, Z3, Z3;  \
	VSUBPS       Z3, Z31, Z4;  \
	VCMPPS       $1, Z19, Z0, K2; \
	VMOVAPS      Z3, K2, Z4

// GELU_F: Z4 = gelu(x) = x·Φ(x).
#define GELU_F \
	GELU_PHI;                  \
	VMULPS       Z0, Z4, Z4

// GELU_B: Z4 = gelu'(x) = Φ(x) + x·φ(x), φ(x) = exp(−a²)/sqrt(2π).
#define GELU_B \
	CLAMP20;                   \
	GELU_PHI;                  \
	VMULPS       Z1, Z1, Z2;   \
	VXORPS       Z3, Z3, Z3;   \
	VSUBPS       Z2, Z3, Z2;   \
	EXPV(Z2, Z5, Z6, Z7);      \
	VMULPS       Z17, Z2, Z2;  \
	VFMADD231PS  Z2, Z0, Z4

// RELU_F: Z4 = max(x, 0) (NaN stays NaN).
#define RELU_F \
	VMAXPS       Z0, Z19, Z4

// RELU_B: Z4 = 1 where x > 0, else 0.
#define RELU_B \
	VCMPPS       $0x1e, Z19, Z0, K2; \
	VMOVAPS.Z    Z31, K2, Z4

// FWD is the forward skeleton: for each of rows (R9) rows of cols (R10)
// elements, x = pre (+ bias, stored back to pre when bias, R8, is not
// nil), out = BODY(x) from Z4. DI out, SI pre; K1 the column-tail mask.
#define FWD(BODY, Lrow, Lcol, Lnob, Ltail, Lnobt, Lnext, Ldone) \
	MOVQ out+0(FP), DI;    \
	MOVQ pre+8(FP), SI;    \
	MOVQ bias+16(FP), R8;  \
	MOVQ rows+24(FP), R9;  \
	MOVQ cols+32(FP), R10; \
	LOADEXPK;              \
	LOADACTC;              \
	MOVQ R10, CX;          \
	ANDQ $15, CX;          \
	TAILMASK;              \
Lrow:                      \
	TESTQ R9, R9;          \
	JEQ   Ldone;           \
	MOVQ  R10, R11;        \
	MOVQ  R8, R12;         \
Lcol:                      \
	CMPQ    R11, $16;      \
	JLT     Ltail;         \
	VMOVUPS (SI), Z0;      \
	TESTQ   R8, R8;        \
	JEQ     Lnob;          \
	VADDPS  (R12), Z0, Z0; \
	VMOVUPS Z0, (SI);      \
Lnob:                      \
	BODY;                  \
	VMOVUPS Z4, (DI);      \
	ADDQ    $64, SI;       \
	ADDQ    $64, DI;       \
	ADDQ    $64, R12;      \
	SUBQ    $16, R11;      \
	JMP     Lcol;          \
Ltail:                     \
	TESTQ     R11, R11;    \
	JEQ       Lnext;       \
	VMOVUPS.Z (SI), K1, Z0; \
	TESTQ     R8, R8;      \
	JEQ       Lnobt;       \
	VMOVUPS.Z (R12), K1, Z9; \
	VADDPS    Z9, Z0, Z0;  \
	VMOVUPS   Z0, K1, (SI); \
Lnobt:                     \
	BODY;                  \
	VMOVUPS   Z4, K1, (DI); \
	LEAQ      (SI)(R11*4), SI; \
	LEAQ      (DI)(R11*4), DI; \
Lnext:                     \
	DECQ R9;               \
	JMP  Lrow;             \
Ldone:                     \
	VZEROUPPER;            \
	RET

// BWD is the backward skeleton: dpre = BODY(pre)·dout, and dbias (R8,
// when not nil) += dpre, row by row. DI dpre, SI pre, BX dout.
#define BWD(BODY, Lrow, Lcol, Lnob, Ltail, Lnobt, Lnext, Ldone) \
	MOVQ dpre+0(FP), DI;   \
	MOVQ dbias+8(FP), R8;  \
	MOVQ pre+16(FP), SI;   \
	MOVQ dout+24(FP), BX;  \
	MOVQ rows+32(FP), R9;  \
	MOVQ cols+40(FP), R10; \
	LOADEXPK;              \
	LOADACTC;              \
	MOVQ R10, CX;          \
	ANDQ $15, CX;          \
	TAILMASK;              \
Lrow:                      \
	TESTQ R9, R9;          \
	JEQ   Ldone;           \
	MOVQ  R10, R11;        \
	MOVQ  R8, R12;         \
Lcol:                      \
	CMPQ    R11, $16;      \
	JLT     Ltail;         \
	VMOVUPS (SI), Z0;      \
	BODY;                  \
	VMULPS  (BX), Z4, Z4;  \
	VMOVUPS Z4, (DI);      \
	TESTQ   R8, R8;        \
	JEQ     Lnob;          \
	VADDPS  (R12), Z4, Z9; \
	VMOVUPS Z9, (R12);     \
Lnob:                      \
	ADDQ    $64, SI;       \
	ADDQ    $64, DI;       \
	ADDQ    $64, BX;       \
	ADDQ    $64, R12;      \
	SUBQ    $16, R11;      \
	JMP     Lcol;          \
Ltail:                     \
	TESTQ     R11, R11;    \
	JEQ       Lnext;       \
	VMOVUPS.Z (SI), K1, Z0; \
	BODY;                  \
	VMOVUPS.Z (BX), K1, Z9; \
	VMULPS    Z9, Z4, Z4;  \
	VMOVUPS   Z4, K1, (DI); \
	TESTQ     R8, R8;      \
	JEQ       Lnobt;       \
	VMOVUPS.Z (R12), K1, Z9; \
	VADDPS    Z9, Z4, Z9;  \
	VMOVUPS   Z9, K1, (R12); \
Lnobt:                     \
	LEAQ      (SI)(R11*4), SI; \
	LEAQ      (DI)(R11*4), DI; \
	LEAQ      (BX)(R11*4), BX; \
Lnext:                     \
	DECQ R9;               \
	JMP  Lrow;             \
Ldone:                     \
	VZEROUPPER;            \
	RET

// func geluNewFwdAsm(out, pre, bias *float32, rows, cols int)
TEXT ·geluNewFwdAsm(SB), NOSPLIT, $0-40
	FWD(GELUNEW_F, gnfrow, gnfcol, gnfnob, gnftail, gnfnobt, gnfnext, gnfdone)

// func geluNewBwdAsm(dpre, dbias, pre, dout *float32, rows, cols int)
TEXT ·geluNewBwdAsm(SB), NOSPLIT, $0-48
	BWD(GELUNEW_B, gnbrow, gnbcol, gnbnob, gnbtail, gnbnobt, gnbnext, gnbdone)

// func geluFwdAsm(out, pre, bias *float32, rows, cols int)
TEXT ·geluFwdAsm(SB), NOSPLIT, $0-40
	FWD(GELU_F, gefrow, gefcol, gefnob, geftail, gefnobt, gefnext, gefdone)

// func geluBwdAsm(dpre, dbias, pre, dout *float32, rows, cols int)
TEXT ·geluBwdAsm(SB), NOSPLIT, $0-48
	BWD(GELU_B, gebrow, gebcol, gebnob, gebtail, gebnobt, gebnext, gebdone)

// func reluFwdAsm(out, pre, bias *float32, rows, cols int)
TEXT ·reluFwdAsm(SB), NOSPLIT, $0-40
	FWD(RELU_F, rlfrow, rlfcol, rlfnob, rlftail, rlfnobt, rlfnext, rlfdone)

// func reluBwdAsm(dpre, dbias, pre, dout *float32, rows, cols int)
TEXT ·reluBwdAsm(SB), NOSPLIT, $0-48
	BWD(RELU_B, rlbrow, rlbcol, rlbnob, rlbtail, rlbnobt, rlbnext, rlbdone)
