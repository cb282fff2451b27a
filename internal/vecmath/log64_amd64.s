//go:build amd64 && !noasm

#include "textflag.h"

// The natural log of float64s eight at a time with the operations of Go's
// amd64 math.Log (math/log_amd64.s, archLog) lane by lane, so the same
// bits: the same reduction (f1 from the mantissa with the exponent of 0.5,
// k from the exponent bits; f1 doubled and k decremented where f1 is not
// above sqrt(2)/2), the same products and sums in the same order, no fused
// multiply-adds, and the same special cases (±0 → −Inf, x < 0 → the NaN
// 0x7FF8000000000001, +Inf and NaN → x).

DATA log64c<>+0(SB)/8, $0x000FFFFFFFFFFFFF   // mantissa bits
DATA log64c<>+8(SB)/8, $0x3FE0000000000000   // 0.5
DATA log64c<>+16(SB)/8, $0x00000000000007FF  // exponent field
DATA log64c<>+24(SB)/8, $0x00000000000003FE  // the exponent of 0.5
DATA log64c<>+32(SB)/8, $0x4338000000000000  // 1.5·2⁵²: int64 ↔ float64
DATA log64c<>+40(SB)/8, $0x3FE6A09E667F3BCD  // sqrt(2)/2
DATA log64c<>+48(SB)/8, $0x3FF0000000000000  // 1
DATA log64c<>+56(SB)/8, $0x4000000000000000  // 2
DATA log64c<>+64(SB)/8, $0x3FE5555555555593  // L1
DATA log64c<>+72(SB)/8, $0x3FD999999997FA04  // L2
DATA log64c<>+80(SB)/8, $0x3FD2492494229359  // L3
DATA log64c<>+88(SB)/8, $0x3FCC71C51D8E78AF  // L4
DATA log64c<>+96(SB)/8, $0x3FC7466496CB03DE  // L5
DATA log64c<>+104(SB)/8, $0x3FC39A09D078C69F // L6
DATA log64c<>+112(SB)/8, $0x3FC2F112DF3E5244 // L7
DATA log64c<>+120(SB)/8, $0x3FE62E42FEE00000 // Ln2Hi
DATA log64c<>+128(SB)/8, $0x3DEA39EF35793C76 // Ln2Lo
DATA log64c<>+136(SB)/8, $0x7FFFFFFFFFFFFFFF // all but the sign
DATA log64c<>+144(SB)/8, $0x7FF0000000000000 // +Inf
DATA log64c<>+152(SB)/8, $0x7FF8000000000001 // NaN (log of x < 0)
DATA log64c<>+160(SB)/8, $0xFFF0000000000000 // −Inf (log of ±0)
GLOBL log64c<>(SB), RODATA|NOPTR, $168

// LOG64 sets Z1 to the log of the eight float64s in Z0 (Z2-Z9 temporaries,
// the constants in Z10-Z30).
#define LOG64 \
	VPANDQ     Z10, Z0, Z2;   \
	VPORQ      Z11, Z2, Z2;   \
	VPSRLQ     $52, Z0, Z1;   \
	VPANDQ     Z12, Z1, Z1;   \
	VPSUBQ     Z13, Z1, Z1;   \
	VPADDQ     Z14, Z1, Z1;   \
	VSUBPD     Z14, Z1, Z1;   \
	VCMPPD     $5, Z2, Z15, K2; \
	VMOVAPD.Z  Z16, K2, Z3;   \
	VSUBPD     Z3, Z1, Z1;    \
	VADDPD     Z16, Z3, Z3;   \
	VMULPD     Z3, Z2, Z2;    \
	VSUBPD     Z16, Z2, Z2;   \
	VADDPD     Z2, Z17, Z4;   \
	VDIVPD     Z4, Z2, Z3;    \
	VMULPD     Z3, Z3, Z4;    \
	VMULPD     Z4, Z4, Z5;    \
	VMULPD     Z5, Z24, Z6;   \
	VADDPD     Z22, Z6, Z6;   \
	VMULPD     Z5, Z6, Z6;    \
	VADDPD     Z20, Z6, Z6;   \
	VMULPD     Z5, Z6, Z6;    \
	VADDPD     Z18, Z6, Z6;   \
	VMULPD     Z6, Z4, Z4;    \
	VMULPD     Z5, Z23, Z7;   \
	VADDPD     Z21, Z7, Z7;   \
	VMULPD     Z5, Z7, Z7;    \
	VADDPD     Z19, Z7, Z7;   \
	VMULPD     Z7, Z5, Z5;    \
	VADDPD     Z5, Z4, Z4;    \
	VMULPD     Z2, Z11, Z8;   \
	VMULPD     Z2, Z8, Z8;    \
	VADDPD     Z8, Z4, Z4;    \
	VMULPD     Z4, Z3, Z3;    \
	VMULPD     Z1, Z26, Z9;   \
	VADDPD     Z9, Z3, Z3;    \
	VSUBPD     Z3, Z8, Z8;    \
	VSUBPD     Z2, Z8, Z8;    \
	VMULPD     Z25, Z1, Z1;   \
	VSUBPD     Z8, Z1, Z1;    \
	VPCMPQ     $5, Z28, Z0, K3; \
	VMOVAPD    Z0, K3, Z1;    \
	VPXORQ     Z9, Z9, Z9;    \
	VPCMPQ     $1, Z9, Z0, K3; \
	VMOVAPD    Z29, K3, Z1;   \
	VPTESTNMQ  Z27, Z0, K3;   \
	VMOVAPD    Z30, K3, Z1

// func log64Asm(dst, x *float64, n int)
TEXT ·log64Asm(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VPBROADCASTQ log64c<>+0(SB), Z10
	VPBROADCASTQ log64c<>+8(SB), Z11
	VPBROADCASTQ log64c<>+16(SB), Z12
	VPBROADCASTQ log64c<>+24(SB), Z13
	VPBROADCASTQ log64c<>+32(SB), Z14
	VPBROADCASTQ log64c<>+40(SB), Z15
	VPBROADCASTQ log64c<>+48(SB), Z16
	VPBROADCASTQ log64c<>+56(SB), Z17
	VPBROADCASTQ log64c<>+64(SB), Z18
	VPBROADCASTQ log64c<>+72(SB), Z19
	VPBROADCASTQ log64c<>+80(SB), Z20
	VPBROADCASTQ log64c<>+88(SB), Z21
	VPBROADCASTQ log64c<>+96(SB), Z22
	VPBROADCASTQ log64c<>+104(SB), Z23
	VPBROADCASTQ log64c<>+112(SB), Z24
	VPBROADCASTQ log64c<>+120(SB), Z25
	VPBROADCASTQ log64c<>+128(SB), Z26
	VPBROADCASTQ log64c<>+136(SB), Z27
	VPBROADCASTQ log64c<>+144(SB), Z28
	VPBROADCASTQ log64c<>+152(SB), Z29
	VPBROADCASTQ log64c<>+160(SB), Z30

lgloop:
	CMPQ    CX, $8
	JLT     lgtail
	VMOVUPD (SI), Z0
	LOG64
	VMOVUPD Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $8, CX
	JMP     lgloop

lgtail:
	TESTQ     CX, CX
	JEQ       lgdone
	MOVL      $1, DX
	SHLL      CX, DX
	DECL      DX
	KMOVW     DX, K1
	VMOVUPD.Z (SI), K1, Z0
	LOG64
	VMOVUPD   Z1, K1, (DI)

lgdone:
	VZEROUPPER
	RET
