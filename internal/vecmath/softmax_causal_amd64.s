//go:build amd64 && !noasm

#include "textflag.h"
#include "macros_amd64.h"
#include "softmax_amd64.h"

// The causal softmax and its backward on a [t, t] matrix: row i (from 0)
// takes the row kernel's arithmetic over its first i+1 elements and zeros
// over the other t−i−1.
//
// Forward: the first `grouped` rows (a multiple of 4) go four at a time,
// the passes of rows 4g..4g+3 in lockstep, so that the four rows'
// dependency chains (the max and sum reductions, the exp's polynomial, the
// division) overlap instead of following each other. The group's rows
// have 4g+1..4g+4 live elements: F = ⌊4g/16⌋ full chunks of 16 each, then
// a last chunk of 4g mod 16 + 1 + k ∈ [1, 16] elements for row k (a group
// never crosses a 16-float boundary), loaded under the masks K1..K4. So
// one loop runs the four rows, and where the last chunk's store must be
// masked (K5) and where the zeros start are the same for all four. Every
// element gets the operations of the one-row passes (SMPASS*) in the same
// order (a last chunk of 16 under an all-ones mask computes what a full
// chunk does), so the bits are the row kernels'. The remaining rows go in
// pairs (SOFTMAXROW2) and an odd last row alone: with grouped = 0 this is
// the previous kernel, which the tests compare with.
//
// In the groups: AX is the group's first row, R9 the row stride (4t
// bytes) and R12 = 3·R9, so the chunk at SI of row k is at (SI),
// (SI)(R9*1), (SI)(R9*2), (SI)(R12*1); R8 = t, BX = 4g, R11 = F, R13 the
// end of the group's first row; Z0-Z7, Z18 temporaries.

// GROUPSETUP sets R11, K1-K5 and R13 for the group at AX, BX.
#define GROUPSETUP \
	MOVQ  BX, R11;         \
	SHRQ  $4, R11;         \
	MOVQ  BX, CX;          \
	ANDQ  $15, CX;         \
	INCQ  CX;              \
	MOVL  $1, DX;          \
	SHLL  CX, DX;          \
	DECL  DX;              \
	KMOVW DX, K1;          \
	LEAL  1(DX)(DX*1), DX; \
	KMOVW DX, K2;          \
	LEAL  1(DX)(DX*1), DX; \
	KMOVW DX, K3;          \
	LEAL  1(DX)(DX*1), DX; \
	KMOVW DX, K4;          \
	MOVQ  R11, CX;         \
	SHLQ  $4, CX;          \
	NEGQ  CX;              \
	ADDQ  R8, CX;          \
	MOVL  $1, DX;          \
	SHLL  CX, DX;          \
	DECL  DX;              \
	KMOVW DX, K5;          \
	LEAQ  (AX)(R9*1), R13

// TAILSTORE4 is TAILSTORE for the last chunks t0..t3 of the group's rows
// at SI: full stores when the chunk ends by the row's end, else stores
// masked to the lanes before it (K5: t − 16F of them). Clobbers DX.
#define TAILSTORE4(t0, t1, t2, t3, L1, L2) \
	LEAQ    64(SI), DX;          \
	CMPQ    DX, R13;             \
	JA      L1;                  \
	VMOVUPS t0, (SI);            \
	VMOVUPS t1, (SI)(R9*1);      \
	VMOVUPS t2, (SI)(R9*2);      \
	VMOVUPS t3, (SI)(R12*1);     \
	JMP     L2;                  \
L1:                              \
	VMOVUPS t0, K5, (SI);        \
	VMOVUPS t1, K5, (SI)(R9*1);  \
	VMOVUPS t2, K5, (SI)(R9*2);  \
	VMOVUPS t3, K5, (SI)(R12*1); \
L2:

// GZERO is ZEROFROM for the group's four rows at AX, from float 16(F+1)
// (where each row's last chunk ends) to t, with Z17 = 0. Clobbers SI, CX,
// DX.
#define GZERO(L1, L2, L3, L4) \
	LEAQ    1(R11), CX;               \
	SHLQ    $4, CX;                   \
	MOVQ    R8, DX;                   \
	SUBQ    CX, DX;                   \
	JLE     L4;                       \
	LEAQ    (AX)(CX*4), SI;           \
	MOVQ    DX, CX;                   \
	CMPQ    CX, $16;                  \
	JLT     L3;                       \
L1:                                   \
	CMPQ    CX, $16;                  \
	JLE     L2;                       \
	VMOVUPS Z17, (SI);                \
	VMOVUPS Z17, (SI)(R9*1);          \
	VMOVUPS Z17, (SI)(R9*2);          \
	VMOVUPS Z17, (SI)(R12*1);         \
	ADDQ    $64, SI;                  \
	SUBQ    $16, CX;                  \
	JMP     L1;                       \
L2:                                   \
	LEAQ    -64(SI)(CX*4), SI;        \
	VMOVUPS Z17, (SI);                \
	VMOVUPS Z17, (SI)(R9*1);          \
	VMOVUPS Z17, (SI)(R9*2);          \
	VMOVUPS Z17, (SI)(R12*1);         \
	JMP     L4;                       \
L3:                                   \
	MOVL    $0, (SI);                 \
	MOVL    $0, (SI)(R9*1);           \
	MOVL    $0, (SI)(R9*2);           \
	MOVL    $0, (SI)(R12*1);          \
	ADDQ    $4, SI;                   \
	DECQ    CX;                       \
	JNZ     L3;                       \
L4:

// EXP2 is EXP on x and y at once, instruction by instruction, with
// temporaries n, t (for x), m, u (for y) and r2.
#define EXP2(x, n, t, y, m, u, r2) \
	VMAXPS       x, Z20, x;   \
	VMAXPS       y, Z20, y;   \
	VMINPS       x, Z21, x;   \
	VMINPS       y, Z21, y;   \
	VMULPS       Z22, x, n;   \
	VMULPS       Z22, y, m;   \
	VRNDSCALEPS  $0, n, n;    \
	VRNDSCALEPS  $0, m, m;    \
	VFNMADD231PS Z23, n, x;   \
	VFNMADD231PS Z23, m, y;   \
	VFNMADD231PS Z24, n, x;   \
	VFNMADD231PS Z24, m, y;   \
	VMOVAPS      Z25, t;      \
	VMOVAPS      Z25, u;      \
	VFMADD213PS  Z26, x, t;   \
	VFMADD213PS  Z26, y, u;   \
	VFMADD213PS  Z27, x, t;   \
	VFMADD213PS  Z27, y, u;   \
	VFMADD213PS  Z28, x, t;   \
	VFMADD213PS  Z28, y, u;   \
	VFMADD213PS  Z29, x, t;   \
	VFMADD213PS  Z29, y, u;   \
	VFMADD213PS  Z30, x, t;   \
	VFMADD213PS  Z30, y, u;   \
	VMULPS       x, x, r2;    \
	VFMADD213PS  x, r2, t;    \
	VMULPS       y, y, r2;    \
	VFMADD213PS  y, r2, u;    \
	VADDPS       Z31, t, t;   \
	VADDPS       Z31, u, u;   \
	VSCALEFPS    n, t, x;     \
	VSCALEFPS    m, u, y

// The forward's group passes (SMPASS1-3 on four rows): the row's max in
// Z8, Z9, Z11, Z12 (then 1/sum), its sum in Z13, Z14, Z15, Z10 (HSUM
// needs registers below Z16, so scale is in Z19 in the groups). *ROW is
// one full chunk of one row at address a, *TAIL its last chunk under mask
// k. Pass 1 does not store scale·x: pass 2 computes it again (the same
// product, so the same bits), which saves a store per chunk (stores of
// 64 bytes are what the kernel waits on most on Zen 4).
#define G1ROW(a, mx, t) \
	VMULPS a, Z19, t; \
	VMAXPS t, mx, mx

#define G1TAIL(a, k, mx, t) \
	VMOVUPS.Z a, k, t;   \
	VMULPS    t, Z19, t; \
	VMAXPS    t, mx, k, mx

// G2ROWS is pass 2 on one full chunk of two rows (a, b).
#define G2ROWS(a, b, mxa, mxb, suma, sumb) \
	VMULPS  a, Z19, Z0;               \
	VMULPS  b, Z19, Z4;               \
	VSUBPS  mxa, Z0, Z0;              \
	VSUBPS  mxb, Z4, Z4;              \
	EXP2(Z0, Z1, Z2, Z4, Z5, Z6, Z3); \
	VMOVUPS Z0, a;                    \
	VMOVUPS Z4, b;                    \
	VADDPS  Z0, suma, suma;           \
	VADDPS  Z4, sumb, sumb

// G2TAIL is pass 2 on the last chunk of two rows (a, b under ka, kb),
// leaving the exps, zero outside the masks, in x and y.
#define G2TAIL(a, b, ka, kb, mxa, mxb, suma, sumb, x, n, t, y, m, u, r2) \
	VMOVUPS.Z a, ka, x;         \
	VMOVUPS.Z b, kb, y;         \
	VMULPS    x, Z19, x;        \
	VMULPS    y, Z19, y;        \
	VSUBPS    mxa, x, x;        \
	VSUBPS    mxb, y, y;        \
	EXP2(x, n, t, y, m, u, r2); \
	VMOVAPS.Z x, ka, x;         \
	VMOVAPS.Z y, kb, y;         \
	VADDPS    x, suma, suma;    \
	VADDPS    y, sumb, sumb

#define G3ROW(a, inv, t) \
	VMULPS  a, inv, t; \
	VMOVUPS t, a

// SOFTMAXGROUP is the softmax of the four rows at AX (GROUPSETUP done).
// The rows' last chunks stay in registers (Z0, Z4, Z1, Z5) from pass 2 to
// pass 3, which stores them once (their lanes past the row are zero, as
// pass 3's masked load would give).
#define SOFTMAXGROUP \
	VMOVAPS Z16, Z8;                                 \
	VMOVAPS Z16, Z9;                                 \
	VMOVAPS Z16, Z11;                                \
	VMOVAPS Z16, Z12;                                \
	MOVQ    AX, SI;                                  \
	MOVQ    R11, CX;                                 \
	TESTQ   CX, CX;                                  \
	JEQ     g1tail;                                  \
g1loop:                                              \
	G1ROW((SI), Z8, Z0);                             \
	G1ROW((SI)(R9*1), Z9, Z1);                       \
	G1ROW((SI)(R9*2), Z11, Z2);                      \
	G1ROW((SI)(R12*1), Z12, Z3);                     \
	ADDQ    $64, SI;                                 \
	DECQ    CX;                                      \
	JNZ     g1loop;                                  \
g1tail:                                              \
	G1TAIL((SI), K1, Z8, Z0);                        \
	G1TAIL((SI)(R9*1), K2, Z9, Z1);                  \
	G1TAIL((SI)(R9*2), K3, Z11, Z2);                 \
	G1TAIL((SI)(R12*1), K4, Z12, Z3);                \
	HMAX(Z8, Y8, X8, Z0, Y0, X0);                    \
	HMAX(Z9, Y9, X9, Z1, Y1, X1);                    \
	HMAX(Z11, Y11, X11, Z2, Y2, X2);                 \
	HMAX(Z12, Y12, X12, Z3, Y3, X3);                 \
	VBROADCASTSS X8, Z8;                             \
	VBROADCASTSS X9, Z9;                             \
	VBROADCASTSS X11, Z11;                           \
	VBROADCASTSS X12, Z12;                           \
	VPXORD  Z13, Z13, Z13;                           \
	VPXORD  Z14, Z14, Z14;                           \
	VPXORD  Z15, Z15, Z15;                           \
	VPXORD  Z10, Z10, Z10;                           \
	MOVQ    AX, SI;                                  \
	MOVQ    R11, CX;                                 \
	TESTQ   CX, CX;                                  \
	JEQ     g2tail;                                  \
g2loop:                                              \
	G2ROWS((SI), (SI)(R9*1), Z8, Z9, Z13, Z14);          \
	G2ROWS((SI)(R9*2), (SI)(R12*1), Z11, Z12, Z15, Z10);        \
	ADDQ    $64, SI;                                 \
	DECQ    CX;                                      \
	JNZ     g2loop;                                  \
g2tail:                                              \
	G2TAIL((SI), (SI)(R9*1), K1, K2, Z8, Z9, Z13, Z14, Z0, Z1, Z2, Z4, Z5, Z6, Z3); \
	G2TAIL((SI)(R9*2), (SI)(R12*1), K3, K4, Z11, Z12, Z15, Z10, Z1, Z2, Z3, Z5, Z6, Z7, Z18); \
	HSUM(Z13, Y13, X13, Z2, Y2, X2);                 \
	HSUM(Z14, Y14, X14, Z3, Y3, X3);                 \
	HSUM(Z15, Y15, X15, Z6, Y6, X6);                 \
	HSUM(Z10, Y10, X10, Z7, Y7, X7);                 \
	INVSUM(X13, Z8, X8);                             \
	INVSUM(X14, Z9, X9);                             \
	INVSUM(X15, Z11, X11);                           \
	INVSUM(X10, Z12, X12);                           \
	MOVQ    AX, SI;                                  \
	MOVQ    R11, CX;                                 \
	TESTQ   CX, CX;                                  \
	JEQ     g3tail;                                  \
g3loop:                                              \
	G3ROW((SI), Z8, Z2);                             \
	G3ROW((SI)(R9*1), Z9, Z3);                       \
	G3ROW((SI)(R9*2), Z11, Z6);                      \
	G3ROW((SI)(R12*1), Z12, Z7);                     \
	ADDQ    $64, SI;                                 \
	DECQ    CX;                                      \
	JNZ     g3loop;                                  \
g3tail:                                              \
	VMULPS  Z0, Z8, Z0;                              \
	VMULPS  Z4, Z9, Z4;                              \
	VMULPS  Z1, Z11, Z1;                             \
	VMULPS  Z5, Z12, Z5;                             \
	TAILSTORE4(Z0, Z4, Z1, Z5, g3m, g3s);            \
	GZERO(gz1, gz2, gz3, gz4)

// func softmaxCausalAsm(x *float32, t int, scale float32, grouped int)
//
// Rows 0..grouped−1 in groups of four (SOFTMAXGROUP), then the rest in
// pairs (SOFTMAXROW2), an odd last row alone; 0 ≤ grouped ≤ t, a
// multiple of 4.
TEXT ·softmaxCausalAsm(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), AX
	MOVQ         t+8(FP), R8
	VBROADCASTSS scale+16(FP), Z10
	MOVQ         grouped+24(FP), R14
	VBROADCASTSS expc<>+48(SB), Z16
	VPXORD       Z17, Z17, Z17
	LOADEXPC
	MOVQ         R8, R9
	SHLQ         $2, R9
	LEAQ         (R9)(R9*2), R12
	VMOVAPS      Z10, Z19
	XORQ         BX, BX

cgroup:
	CMPQ BX, R14
	JGE  crest
	GROUPSETUP
	SOFTMAXGROUP
	LEAQ (AX)(R9*4), AX
	ADDQ $4, BX
	JMP  cgroup

crest:
	VMOVAPS Z19, Z10
	INCQ    BX       // the next row's length

cpair:
	CMPQ BX, R8
	JGE  csingle
	LEAQ (AX)(R8*4), R10
	LEAQ 1(BX), R11
	MOVQ R10, R13
	LEAQ (R10)(R8*4), R14
	SOFTMAXROW2
	MOVQ AX, SI
	MOVQ BX, CX
	ZEROFROM(za1, za2, za3, za4)
	MOVQ R10, SI
	MOVQ R11, CX
	ZEROFROM(zb1, zb2, zb3, zb4)
	MOVQ R14, AX
	ADDQ $2, BX
	JMP  cpair

csingle:
	CMPQ BX, R8
	JNE  cdone
	LEAQ (AX)(R8*4), R13
	SOFTMAXROW

cdone:
	VZEROUPPER
	RET

// func softmaxBackCausalAsm(d, p *float32, t int, scale float32)
//
// Row i of the [t, t] matrices takes the backward over i+1 elements and
// zeros (on d) over the other t−i−1; rows go in pairs
// (SOFTMAXBACKROW2), an odd last row alone. (Four rows at a time, as in
// the forward, measured no faster: this pass has no exp and is bound by
// its loads and stores, not by the reductions' latency.)
TEXT ·softmaxBackCausalAsm(SB), NOSPLIT, $0-28
	MOVQ         d+0(FP), AX
	MOVQ         p+8(FP), R9
	MOVQ         t+16(FP), R8
	VBROADCASTSS scale+24(FP), Z10
	VPXORD       Z17, Z17, Z17
	MOVQ         $1, BX

bpair:
	CMPQ BX, R8
	JGE  bsingle
	LEAQ (AX)(R8*4), R10
	LEAQ (R9)(R8*4), R12
	LEAQ 1(BX), R11
	MOVQ R10, R13
	LEAQ (R10)(R8*4), R14
	SOFTMAXBACKROW2
	MOVQ AX, SI
	MOVQ BX, CX
	ZEROFROM(za1, za2, za3, za4)
	MOVQ R10, SI
	MOVQ R11, CX
	ZEROFROM(zb1, zb2, zb3, zb4)
	MOVQ R14, AX
	LEAQ (R12)(R8*4), R9
	ADDQ $2, BX
	JMP  bpair

bsingle:
	CMPQ BX, R8
	JNE  bdone
	LEAQ (AX)(R8*4), R13
	SOFTMAXBACKROW

bdone:
	VZEROUPPER
	RET
