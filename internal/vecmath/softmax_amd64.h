// The exp and the softmax row passes shared by vecmath_amd64.s and
// softmax_causal_amd64.s (each file gets its own copy of the constants).

// Constants of the exp (see doc.go), as float32 bits.
DATA expc<>+0(SB)/4, $0xc2d00000  // -104: lower clamp
DATA expc<>+4(SB)/4, $0x42c80000  // 100: upper clamp
DATA expc<>+8(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expc<>+12(SB)/4, $0x3f318000 // C1 = 0.693359375 (ln 2 = C1 + C2)
DATA expc<>+16(SB)/4, $0xb95e8083 // C2 = -2.12194440e-4
DATA expc<>+20(SB)/4, $0x39506967 // p0 = 1.9875691500e-4
DATA expc<>+24(SB)/4, $0x3ab743ce // p1 = 1.3981999507e-3
DATA expc<>+28(SB)/4, $0x3c088908 // p2 = 8.3334519073e-3
DATA expc<>+32(SB)/4, $0x3d2aa9c1 // p3 = 4.1665795894e-2
DATA expc<>+36(SB)/4, $0x3e2aaaaa // p4 = 1.6666665459e-1
DATA expc<>+40(SB)/4, $0x3f000000 // p5 = 0.5
DATA expc<>+44(SB)/4, $0x3f800000 // 1
DATA expc<>+48(SB)/4, $0xff800000 // -Inf
GLOBL expc<>(SB), RODATA|NOPTR, $52

// Register use: Z20-Z31 hold the constants (LOADEXPC), Z0-Z7 the data.

#define LOADEXPC \
	VBROADCASTSS expc<>+0(SB), Z20;  \
	VBROADCASTSS expc<>+4(SB), Z21;  \
	VBROADCASTSS expc<>+8(SB), Z22;  \
	VBROADCASTSS expc<>+12(SB), Z23; \
	VBROADCASTSS expc<>+16(SB), Z24; \
	VBROADCASTSS expc<>+20(SB), Z25; \
	VBROADCASTSS expc<>+24(SB), Z26; \
	VBROADCASTSS expc<>+28(SB), Z27; \
	VBROADCASTSS expc<>+32(SB), Z28; \
	VBROADCASTSS expc<>+36(SB), Z29; \
	VBROADCASTSS expc<>+40(SB), Z30; \
	VBROADCASTSS expc<>+44(SB), Z31

// EXP sets x = exp(x) with temporaries n, t, r2:
//
//	x = clamp(x, -104, 100); n = round(x·log2e); r = x − n·C1 − n·C2
//	exp(x) = 2^n · (1 + r + r²·(((((p0·r + p1)·r + p2)·r + p3)·r + p4)·r + p5))
//
// The clamps keep NaN (max and min return their second source on NaN).
#define EXP(x, n, t, r2) \
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

// The softmax passes over the row at p, n elements long (n in a register),
// in place, with Z10 = scale, Z16 = −Inf and the exp constants loaded;
// t* are temporaries and L* the pass's labels. Each clobbers SI, CX, DX, K1.
//
// SMPASS1 scales the row and leaves its max in every lane of mx.
#define SMPASS1(p, n, end, mx, t0, L1, L2, L3, L4, L5) \
	VMOVAPS   Z16, mx;           \
	MOVQ      p, SI;             \
	MOVQ      n, CX;             \
L1:                              \
	CMPQ      CX, $16;           \
	JLT       L2;                \
	VMULPS    (SI), Z10, t0;     \
	VMOVUPS   t0, (SI);          \
	VMAXPS    t0, mx, mx;        \
	ADDQ      $64, SI;           \
	SUBQ      $16, CX;           \
	JMP       L1;                \
L2:                              \
	TESTQ     CX, CX;            \
	JEQ       L3;                \
	TAILMASK;                    \
	VMOVUPS.Z (SI), K1, t0;      \
	VMULPS    t0, Z10, t0;       \
	VMAXPS    t0, mx, K1, mx;    \
	TAILSTORE(t0, end, L4, L5);  \
L3:

// SMPASS2 writes e = exp(x − mx) and leaves Σe in the lanes of sum.
#define SMPASS2(p, n, end, mx, sum, t0, t1, t2, t3, L1, L2, L3, L4, L5) \
	VPXORD    sum, sum, sum;     \
	MOVQ      p, SI;             \
	MOVQ      n, CX;             \
L1:                              \
	CMPQ      CX, $16;           \
	JLT       L2;                \
	VMOVUPS   (SI), t0;          \
	VSUBPS    mx, t0, t0;        \
	EXP(t0, t1, t2, t3);         \
	VMOVUPS   t0, (SI);          \
	VADDPS    t0, sum, sum;      \
	ADDQ      $64, SI;           \
	SUBQ      $16, CX;           \
	JMP       L1;                \
L2:                              \
	TESTQ     CX, CX;            \
	JEQ       L3;                \
	TAILMASK;                    \
	VMOVUPS.Z (SI), K1, t0;      \
	VSUBPS    mx, t0, t0;        \
	EXP(t0, t1, t2, t3);         \
	VMOVAPS.Z t0, K1, t0;        \
	VADDPS    t0, sum, sum;      \
	TAILSTORE(t0, end, L4, L5);  \
L3:

// SMPASS3 multiplies the row by inv (every lane).
#define SMPASS3(p, n, end, inv, t0, L1, L2, L3, L4, L5) \
	MOVQ      p, SI;             \
	MOVQ      n, CX;             \
L1:                              \
	CMPQ      CX, $16;           \
	JLT       L2;                \
	VMULPS    (SI), inv, t0;     \
	VMOVUPS   t0, (SI);          \
	ADDQ      $64, SI;           \
	SUBQ      $16, CX;           \
	JMP       L1;                \
L2:                              \
	TESTQ     CX, CX;            \
	JEQ       L3;                \
	TAILMASK;                    \
	VMOVUPS.Z (SI), K1, t0;      \
	VMULPS    t0, inv, t0;       \
	TAILSTORE(t0, end, L4, L5);  \
L3:

// TAILSTORE stores the last, partial chunk t0 (zero outside K1) at SI: a
// full store when the chunk ends by end (the row's own zero region
// follows, so this also clears it), else a store masked to the lanes
// before end. Masked stores are slow on Zen 4, so they are kept to the
// rows' ends. Clobbers CX, DX, K2.
#define TAILSTORE(t0, end, L1, L2) \
	LEAQ    64(SI), DX;     \
	CMPQ    DX, end;        \
	JA      L1;             \
	VMOVUPS t0, (SI);       \
	JMP     L2;             \
L1:                         \
	MOVQ    end, CX;        \
	SUBQ    SI, CX;         \
	SHRQ    $2, CX;         \
	MOVL    $1, DX;         \
	SHLL    CX, DX;         \
	DECL    DX;             \
	KMOVW   DX, K2;         \
	VMOVUPS t0, K2, (SI);   \
L2:

// ZEROFROM clears the row at SI, R8 floats long, from the first 16-float
// boundary at or after CX (= n, what TAILSTORE left) to its end, with
// Z17 = 0: full stores, the last one overlapping backwards; a region
// shorter than 16 float by float. Clobbers SI, CX, DX.
#define ZEROFROM(L1, L2, L3, L4) \
	ADDQ    $15, CX;                  \
	ANDQ    $-16, CX;                 \
	MOVQ    R8, DX;                   \
	SUBQ    CX, DX;                   \
	JLE     L4;                       \
	LEAQ    (SI)(CX*4), SI;           \
	MOVQ    DX, CX;                   \
	CMPQ    CX, $16;                  \
	JLT     L3;                       \
L1:                                   \
	CMPQ    CX, $16;                  \
	JLE     L2;                       \
	VMOVUPS Z17, (SI);                \
	ADDQ    $64, SI;                  \
	SUBQ    $16, CX;                  \
	JMP     L1;                       \
L2:                                   \
	VMOVUPS Z17, -64(SI)(CX*4);       \
	JMP     L4;                       \
L3:                                   \
	MOVL    $0, (SI);                 \
	ADDQ    $4, SI;                   \
	DECQ    CX;                       \
	JNZ     L3;                       \
L4:

// INVSUM sets every lane of inv to 1 / lane 0 of x.
#define INVSUM(x, inv, xinv) \
	VMOVSS       expc<>+44(SB), xinv; \
	VDIVSS       x, xinv, xinv;       \
	VBROADCASTSS xinv, inv

// SOFTMAXROW is the softmax of the row at AX, BX long: max in X8, sum in
// X9. Clobbers Z0-Z3, Z8, Z9, Z11, Z12 besides the passes'.
#define SOFTMAXROW \
	SMPASS1(AX, BX, R13, Z8, Z0, s1loop, s1tail, s1done, s1m, s1s);               \
	HMAX(Z8, Y8, X8, Z11, Y11, X11);                               \
	VBROADCASTSS X8, Z8;                                           \
	SMPASS2(AX, BX, R13, Z8, Z9, Z0, Z1, Z2, Z3, s2loop, s2tail, s2done, s2m, s2s); \
	HSUM(Z9, Y9, X9, Z11, Y11, X11);                               \
	INVSUM(X9, Z12, X12);                                          \
	SMPASS3(AX, BX, R13, Z12, Z0, s3loop, s3tail, s3done, s3m, s3s)

// SOFTMAXROW2 is SOFTMAXROW for two rows at once, AX (BX long) and R10
// (R11 long): their passes interleave, so the latency of one row's
// reductions and exps overlaps the other's work. The second row uses Z4-Z7,
// Z13-Z15, Z18.
#define SOFTMAXROW2 \
	SMPASS1(AX, BX, R13, Z8, Z0, a1loop, a1tail, a1done, a1m, a1s);                   \
	SMPASS1(R10, R11, R14, Z14, Z4, b1loop, b1tail, b1done, b1m, b1s);                \
	HMAX(Z8, Y8, X8, Z11, Y11, X11);                                   \
	HMAX(Z14, Y14, X14, Z13, Y13, X13);                                \
	VBROADCASTSS X8, Z8;                                               \
	VBROADCASTSS X14, Z14;                                             \
	SMPASS2(AX, BX, R13, Z8, Z9, Z0, Z1, Z2, Z3, a2loop, a2tail, a2done, a2m, a2s);   \
	SMPASS2(R10, R11, R14, Z14, Z15, Z4, Z5, Z6, Z7, b2loop, b2tail, b2done, b2m, b2s); \
	HSUM(Z9, Y9, X9, Z11, Y11, X11);                                   \
	HSUM(Z15, Y15, X15, Z13, Y13, X13);                                \
	INVSUM(X9, Z12, X12);                                              \
	INVSUM(X15, Z18, X18);                                             \
	SMPASS3(AX, BX, R13, Z12, Z0, a3loop, a3tail, a3done, a3m, a3s);                  \
	SMPASS3(R10, R11, R14, Z18, Z4, b3loop, b3tail, b3done, b3m, b3s)

// The softmax backward passes over the row of d at dp and of p at pp, n
// elements long, with Z10 = scale; t* are temporaries and L* the pass's
// labels. Each clobbers SI, DI, CX, DX, K1.
//
// SBPASS1 leaves Σ p·d in the lanes of dot.
#define SBPASS1(dp, pp, n, dot, t0, t1, L1, L2, L3) \
	VPXORD      dot, dot, dot;   \
	MOVQ        dp, SI;          \
	MOVQ        pp, DI;          \
	MOVQ        n, CX;           \
L1:                              \
	CMPQ        CX, $16;         \
	JLT         L2;              \
	VMOVUPS     (SI), t0;        \
	VFMADD231PS (DI), t0, dot;   \
	ADDQ        $64, SI;         \
	ADDQ        $64, DI;         \
	SUBQ        $16, CX;         \
	JMP         L1;              \
L2:                              \
	TESTQ       CX, CX;          \
	JEQ         L3;              \
	TAILMASK;                    \
	VMOVUPS.Z   (SI), K1, t0;    \
	VMOVUPS.Z   (DI), K1, t1;    \
	VFMADD231PS t1, t0, dot;     \
L3:

// SBPASS2 sets d = scale·p·(d − dot), dot in every lane.
#define SBPASS2(dp, pp, n, end, dot, t0, t1, L1, L2, L3, L4, L5) \
	MOVQ        dp, SI;          \
	MOVQ        pp, DI;          \
	MOVQ        n, CX;           \
L1:                              \
	CMPQ        CX, $16;         \
	JLT         L2;              \
	VMOVUPS     (SI), t0;        \
	VSUBPS      dot, t0, t0;     \
	VMULPS      (DI), t0, t0;    \
	VMULPS      Z10, t0, t0;     \
	VMOVUPS     t0, (SI);        \
	ADDQ        $64, SI;         \
	ADDQ        $64, DI;         \
	SUBQ        $16, CX;         \
	JMP         L1;              \
L2:                              \
	TESTQ       CX, CX;          \
	JEQ         L3;              \
	TAILMASK;                    \
	VMOVUPS.Z   (SI), K1, t0;    \
	VMOVUPS.Z   (DI), K1, t1;    \
	VSUBPS      dot, t0, t0;     \
	VMULPS      t1, t0, t0;      \
	VMULPS.Z    Z10, t0, K1, t0; \
	TAILSTORE(t0, end, L4, L5);  \
L3:

// SOFTMAXBACKROW is the backward of the row of d at AX (BX elements) given
// p at R9. Clobbers Z0, Z1, Z8, Z11 besides the passes'.
#define SOFTMAXBACKROW \
	SBPASS1(AX, R9, BX, Z8, Z0, Z1, c1loop, c1tail, c1done); \
	HSUM(Z8, Y8, X8, Z11, Y11, X11);                       \
	VBROADCASTSS X8, Z8;                                   \
	SBPASS2(AX, R9, BX, R13, Z8, Z0, Z1, c2loop, c2tail, c2done, c2m, c2s)

// SOFTMAXBACKROW2 is SOFTMAXBACKROW for two rows at once, the second at
// R10 (d), R12 (p), R11 long, with Z4, Z5, Z14, Z13: the reductions of one
// overlap the other's work.
#define SOFTMAXBACKROW2 \
	SBPASS1(AX, R9, BX, Z8, Z0, Z1, a1loop, a1tail, a1done);     \
	SBPASS1(R10, R12, R11, Z14, Z4, Z5, b1loop, b1tail, b1done); \
	HSUM(Z8, Y8, X8, Z11, Y11, X11);                           \
	HSUM(Z14, Y14, X14, Z13, Y13, X13);                        \
	VBROADCASTSS X8, Z8;                                       \
	VBROADCASTSS X14, Z14;                                     \
	SBPASS2(AX, R9, BX, R13, Z8, Z0, Z1, a2loop, a2tail, a2done, a2m, a2s);     \
	SBPASS2(R10, R12, R11, R14, Z14, Z4, Z5, b2loop, b2tail, b2done, b2m, b2s)

