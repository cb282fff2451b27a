//go:build amd64 && !noasm

#include "textflag.h"

// Register use:
//
//	DI p   SI g   DX d   R10 d's step (32, or 0 for 8 ones standing in for no mask)
//	R8 m   R9 v   CX elements left
//	Z20 lr  Z21 wd  Z22 β1  Z23 β2  Z24 1−β1  Z25 1−β2  Z26 stepSize
//	Z27 √(1−β2^t)  Z28 ε  Z29 1.0 (float64)  Y31 scale (float32)
//	K1 the tail mask
//
// STEP updates the 8 elements at the cursors, loading and storing under
// mask k (K0 for whole blocks). Each line is one IEEE operation of
// applyAdamWRef, in its order:
//
//	p *= 1 − lr·(wd·d);  m = β1·m + (1−β1)·g;  v = β2·v + ((1−β2)·g)·g
//	p −= (stepSize·m) / (√v / √(1−β2^t) + ε)
#define STEP(k) \
	VMOVUPS.Z   (DI), k, Y0;   \
	VCVTPS2PD   Y0, Z0;        \
	VMOVUPS.Z   (SI), k, Y1;   \
	VMULPS      Y31, Y1, Y1;   \
	VCVTPS2PD   Y1, Z1;        \
	VMOVUPS.Z   (DX), k, Y2;   \
	VCVTPS2PD   Y2, Z2;        \
	VMULPD      Z21, Z2, Z2;   \
	VMULPD      Z20, Z2, Z2;   \
	VSUBPD      Z2, Z29, Z2;   \
	VMULPD      Z2, Z0, Z0;    \
	VMOVUPS.Z   (R8), k, Y3;   \
	VCVTPS2PD   Y3, Z3;        \
	VMULPD      Z22, Z3, Z3;   \
	VMULPD      Z24, Z1, Z4;   \
	VADDPD      Z4, Z3, Z3;    \
	VMOVUPS.Z   (R9), k, Y5;   \
	VCVTPS2PD   Y5, Z5;        \
	VMULPD      Z23, Z5, Z5;   \
	VMULPD      Z25, Z1, Z6;   \
	VMULPD      Z1, Z6, Z6;    \
	VADDPD      Z6, Z5, Z5;    \
	VCVTPD2PS   Z3, Y6;        \
	VMOVUPS     Y6, k, (R8);   \
	VCVTPD2PS   Z5, Y6;        \
	VMOVUPS     Y6, k, (R9);   \
	VSQRTPD     Z5, Z7;        \
	VDIVPD      Z27, Z7, Z7;   \
	VADDPD      Z28, Z7, Z7;   \
	VMULPD      Z26, Z3, Z8;   \
	VDIVPD      Z7, Z8, Z8;    \
	VSUBPD      Z8, Z0, Z0;    \
	VCVTPD2PS   Z0, Y0;        \
	VMOVUPS     Y0, k, (DI)

// func adamwAsm(p, gr, d, m, v *float32, dstep, n int, c *adamCoef, scale float32)
TEXT ·adamwAsm(SB), NOSPLIT, $0-68
	MOVQ         p+0(FP), DI
	MOVQ         gr+8(FP), SI
	MOVQ         d+16(FP), DX
	MOVQ         m+24(FP), R8
	MOVQ         v+32(FP), R9
	MOVQ         dstep+40(FP), R10
	MOVQ         n+48(FP), CX
	MOVQ         c+56(FP), AX
	VBROADCASTSD 0(AX), Z20
	VBROADCASTSD 8(AX), Z21
	VBROADCASTSD 16(AX), Z22
	VBROADCASTSD 24(AX), Z23
	VBROADCASTSD 32(AX), Z24
	VBROADCASTSD 40(AX), Z25
	VBROADCASTSD 48(AX), Z26
	VBROADCASTSD 56(AX), Z27
	VBROADCASTSD 64(AX), Z28
	MOVQ         $0x3ff0000000000000, AX
	VPBROADCASTQ AX, Z29
	VBROADCASTSS scale+64(FP), Y31
	KXNORB       K2, K2, K2

loop:
	CMPQ CX, $8
	JLT  tail
	STEP(K2)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ R10, DX
	SUBQ $8, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JEQ   done
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVB AX, K1
	STEP(K1)

done:
	VZEROUPPER
	RET
