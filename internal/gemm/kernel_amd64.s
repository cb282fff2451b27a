//go:build amd64 && !noasm

#include "textflag.h"

// Register use in kern4 and kern1:
//
//	AX  A at (row 0, p 0)       SI  A cursor, += sap each p
//	BX  B at the column block   DI  B cursor, += ldb each p
//	CX  C at the column block   R13 p counter; 3*ldc between blocks
//	DX  k                       R14 columns left
//	R8  sai*4   R9 3*sai*4   R10 sap*4   R11 ldb*4   R12 ldc*4
//	Z0-Z7 accumulators, Z8-Z9 B, Z10-Z13 broadcast A
//	K1, K2 column-tail masks (columns 0-15 and 16-31 of the last block)
//
// Each accumulator lane starts at 0 or C and takes one FMA per p in order,
// so every C element has the same summation order in every block shape.

// FMA4x32 loads B (Z8, Z9) for 32 columns, broadcasts A for 4 rows and
// adds the 8 products to the accumulators.
#define FMA4x32 \
	VMOVUPS      (DI), Z8;           \
	VMOVUPS      64(DI), Z9;         \
	VBROADCASTSS (SI), Z10;          \
	VBROADCASTSS (SI)(R8*1), Z11;    \
	VBROADCASTSS (SI)(R8*2), Z12;    \
	VBROADCASTSS (SI)(R9*1), Z13;    \
	VFMADD231PS  Z8, Z10, Z0;        \
	VFMADD231PS  Z9, Z10, Z1;        \
	VFMADD231PS  Z8, Z11, Z2;        \
	VFMADD231PS  Z9, Z11, Z3;        \
	VFMADD231PS  Z8, Z12, Z4;        \
	VFMADD231PS  Z9, Z12, Z5;        \
	VFMADD231PS  Z8, Z13, Z6;        \
	VFMADD231PS  Z9, Z13, Z7

// func kern4(a, b, c *float32, k, n, sai, sap, ldb, ldc int, mask uint32, acc bool)
TEXT ·kern4(SB), NOSPLIT, $0-77
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), BX
	MOVQ c+16(FP), CX
	MOVQ k+24(FP), DX
	MOVQ n+32(FP), R14
	MOVQ sai+40(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ sap+48(FP), R10
	SHLQ $2, R10
	MOVQ ldb+56(FP), R11
	SHLQ $2, R11
	MOVQ ldc+64(FP), R12
	SHLQ $2, R12
	MOVL mask+72(FP), R13
	KMOVW R13, K1
	SHRL $16, R13
	KMOVW R13, K2

k4block32:
	CMPQ R14, $32
	JLT  k4tail
	LEAQ (R12)(R12*2), R13
	CMPB acc+76(FP), $0
	JEQ  k4zero32
	VMOVUPS (CX), Z0
	VMOVUPS 64(CX), Z1
	VMOVUPS (CX)(R12*1), Z2
	VMOVUPS 64(CX)(R12*1), Z3
	VMOVUPS (CX)(R12*2), Z4
	VMOVUPS 64(CX)(R12*2), Z5
	VMOVUPS (CX)(R13*1), Z6
	VMOVUPS 64(CX)(R13*1), Z7
	JMP     k4run32

k4zero32:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

k4run32:
	MOVQ AX, SI
	MOVQ BX, DI
	MOVQ DX, R13

k4loop32:
	FMA4x32
	ADDQ R10, SI
	ADDQ R11, DI
	DECQ R13
	JNZ  k4loop32

	LEAQ    (R12)(R12*2), R13
	VMOVUPS Z0, (CX)
	VMOVUPS Z1, 64(CX)
	VMOVUPS Z2, (CX)(R12*1)
	VMOVUPS Z3, 64(CX)(R12*1)
	VMOVUPS Z4, (CX)(R12*2)
	VMOVUPS Z5, 64(CX)(R12*2)
	VMOVUPS Z6, (CX)(R13*1)
	VMOVUPS Z7, 64(CX)(R13*1)
	ADDQ    $128, BX
	ADDQ    $128, CX
	SUBQ    $32, R14
	JMP     k4block32

k4tail:
	TESTQ R14, R14
	JEQ   k4done
	CMPQ  R14, $16
	JLE   k4tail16

	// 17 to 31 columns: masked 4x32.
	LEAQ (R12)(R12*2), R13
	CMPB acc+76(FP), $0
	JEQ  k4zerot32
	VMOVUPS.Z (CX), K1, Z0
	VMOVUPS.Z 64(CX), K2, Z1
	VMOVUPS.Z (CX)(R12*1), K1, Z2
	VMOVUPS.Z 64(CX)(R12*1), K2, Z3
	VMOVUPS.Z (CX)(R12*2), K1, Z4
	VMOVUPS.Z 64(CX)(R12*2), K2, Z5
	VMOVUPS.Z (CX)(R13*1), K1, Z6
	VMOVUPS.Z 64(CX)(R13*1), K2, Z7
	JMP       k4runt32

k4zerot32:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

k4runt32:
	MOVQ AX, SI
	MOVQ BX, DI
	MOVQ DX, R13

k4loopt32:
	VMOVUPS.Z    (DI), K1, Z8
	VMOVUPS.Z    64(DI), K2, Z9
	VBROADCASTSS (SI), Z10
	VBROADCASTSS (SI)(R8*1), Z11
	VBROADCASTSS (SI)(R8*2), Z12
	VBROADCASTSS (SI)(R9*1), Z13
	VFMADD231PS  Z8, Z10, Z0
	VFMADD231PS  Z9, Z10, Z1
	VFMADD231PS  Z8, Z11, Z2
	VFMADD231PS  Z9, Z11, Z3
	VFMADD231PS  Z8, Z12, Z4
	VFMADD231PS  Z9, Z12, Z5
	VFMADD231PS  Z8, Z13, Z6
	VFMADD231PS  Z9, Z13, Z7
	ADDQ         R10, SI
	ADDQ         R11, DI
	DECQ         R13
	JNZ          k4loopt32

	LEAQ    (R12)(R12*2), R13
	VMOVUPS Z0, K1, (CX)
	VMOVUPS Z1, K2, 64(CX)
	VMOVUPS Z2, K1, (CX)(R12*1)
	VMOVUPS Z3, K2, 64(CX)(R12*1)
	VMOVUPS Z4, K1, (CX)(R12*2)
	VMOVUPS Z5, K2, 64(CX)(R12*2)
	VMOVUPS Z6, K1, (CX)(R13*1)
	VMOVUPS Z7, K2, 64(CX)(R13*1)
	JMP     k4done

k4tail16:
	// 1 to 16 columns: masked 4x16.
	LEAQ (R12)(R12*2), R13
	CMPB acc+76(FP), $0
	JEQ  k4zerot16
	VMOVUPS.Z (CX), K1, Z0
	VMOVUPS.Z (CX)(R12*1), K1, Z2
	VMOVUPS.Z (CX)(R12*2), K1, Z4
	VMOVUPS.Z (CX)(R13*1), K1, Z6
	JMP       k4runt16

k4zerot16:
	VPXORD Z0, Z0, Z0
	VPXORD Z2, Z2, Z2
	VPXORD Z4, Z4, Z4
	VPXORD Z6, Z6, Z6

k4runt16:
	MOVQ AX, SI
	MOVQ BX, DI
	MOVQ DX, R13

k4loopt16:
	VMOVUPS.Z    (DI), K1, Z8
	VBROADCASTSS (SI), Z10
	VBROADCASTSS (SI)(R8*1), Z11
	VBROADCASTSS (SI)(R8*2), Z12
	VBROADCASTSS (SI)(R9*1), Z13
	VFMADD231PS  Z8, Z10, Z0
	VFMADD231PS  Z8, Z11, Z2
	VFMADD231PS  Z8, Z12, Z4
	VFMADD231PS  Z8, Z13, Z6
	ADDQ         R10, SI
	ADDQ         R11, DI
	DECQ         R13
	JNZ          k4loopt16

	LEAQ    (R12)(R12*2), R13
	VMOVUPS Z0, K1, (CX)
	VMOVUPS Z2, K1, (CX)(R12*1)
	VMOVUPS Z4, K1, (CX)(R12*2)
	VMOVUPS Z6, K1, (CX)(R13*1)

k4done:
	VZEROUPPER
	RET

// func kern1(a, b, c *float32, k, n, sap, ldb int, mask uint32, acc bool)
//
// One row of C: 64 columns per block (4 accumulators, enough independent
// FMA chains to cover the latency), then 32, then the masked tail.
TEXT ·kern1(SB), NOSPLIT, $0-61
	MOVQ  a+0(FP), AX
	MOVQ  b+8(FP), BX
	MOVQ  c+16(FP), CX
	MOVQ  k+24(FP), DX
	MOVQ  n+32(FP), R14
	MOVQ  sap+40(FP), R10
	SHLQ  $2, R10
	MOVQ  ldb+48(FP), R11
	SHLQ  $2, R11
	MOVL  mask+56(FP), R13
	KMOVW R13, K1
	SHRL  $16, R13
	KMOVW R13, K2

k1block64:
	CMPQ R14, $64
	JLT  k1block32
	CMPB acc+60(FP), $0
	JEQ  k1zero64
	VMOVUPS (CX), Z0
	VMOVUPS 64(CX), Z1
	VMOVUPS 128(CX), Z2
	VMOVUPS 192(CX), Z3
	JMP     k1run64

k1zero64:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3

k1run64:
	MOVQ AX, SI
	MOVQ BX, DI
	MOVQ DX, R13

k1loop64:
	VBROADCASTSS (SI), Z10
	VFMADD231PS  (DI), Z10, Z0
	VFMADD231PS  64(DI), Z10, Z1
	VFMADD231PS  128(DI), Z10, Z2
	VFMADD231PS  192(DI), Z10, Z3
	ADDQ         R10, SI
	ADDQ         R11, DI
	DECQ         R13
	JNZ          k1loop64

	VMOVUPS Z0, (CX)
	VMOVUPS Z1, 64(CX)
	VMOVUPS Z2, 128(CX)
	VMOVUPS Z3, 192(CX)
	ADDQ    $256, BX
	ADDQ    $256, CX
	SUBQ    $64, R14
	JMP     k1block64

k1block32:
	// Fewer than 64 columns left: one 32-wide block if 32 remain, then the
	// masked tail, both as a 2-accumulator 32-wide pass.
	TESTQ R14, R14
	JEQ   k1done
	CMPQ  R14, $32
	JGE   k1full32
	KMOVW K1, K3
	KMOVW K2, K4
	JMP   k1init32

k1full32:
	KXNORW K0, K0, K3
	KXNORW K0, K0, K4

k1init32:
	CMPB acc+60(FP), $0
	JEQ  k1zero32
	VMOVUPS.Z (CX), K3, Z0
	VMOVUPS.Z 64(CX), K4, Z1
	JMP       k1run32

k1zero32:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

k1run32:
	MOVQ AX, SI
	MOVQ BX, DI
	MOVQ DX, R13

k1loop32:
	VMOVUPS.Z    (DI), K3, Z8
	VMOVUPS.Z    64(DI), K4, Z9
	VBROADCASTSS (SI), Z10
	VFMADD231PS  Z8, Z10, Z0
	VFMADD231PS  Z9, Z10, Z1
	ADDQ         R10, SI
	ADDQ         R11, DI
	DECQ         R13
	JNZ          k1loop32

	VMOVUPS Z0, K3, (CX)
	VMOVUPS Z1, K4, 64(CX)
	ADDQ    $128, BX
	ADDQ    $128, CX
	SUBQ    $32, R14
	JGT     k1block32

k1done:
	VZEROUPPER
	RET

// func kern8(a, b, c *float32, k, sai, sap, ldb, ldc int, mask uint32, acc bool)
//
// Eight rows of C by at most 16 columns (mask selects them): 8 accumulators,
// one load of B and 8 FMAs with A broadcast from memory per p. Used for
// narrow column tails such as d_head = 16, where kern4 would have only 4
// independent FMA chains.
TEXT ·kern8(SB), NOSPLIT, $0-69
	MOVQ  a+0(FP), AX
	MOVQ  b+8(FP), DI
	MOVQ  c+16(FP), CX
	MOVQ  k+24(FP), R13
	MOVQ  sai+32(FP), R8
	SHLQ  $2, R8
	LEAQ  (R8)(R8*2), R9
	MOVQ  sap+40(FP), R10
	SHLQ  $2, R10
	MOVQ  ldb+48(FP), R11
	SHLQ  $2, R11
	MOVQ  ldc+56(FP), R12
	SHLQ  $2, R12
	MOVL  mask+64(FP), DX
	KMOVW DX, K1
	MOVQ  AX, SI
	LEAQ  (SI)(R8*4), R14
	LEAQ  (R12)(R12*2), DX
	LEAQ  (CX)(R12*4), BX

	CMPB acc+68(FP), $0
	JEQ  k8zero
	VMOVUPS.Z (CX), K1, Z0
	VMOVUPS.Z (CX)(R12*1), K1, Z1
	VMOVUPS.Z (CX)(R12*2), K1, Z2
	VMOVUPS.Z (CX)(DX*1), K1, Z3
	VMOVUPS.Z (BX), K1, Z4
	VMOVUPS.Z (BX)(R12*1), K1, Z5
	VMOVUPS.Z (BX)(R12*2), K1, Z6
	VMOVUPS.Z (BX)(DX*1), K1, Z7
	JMP       k8loop

k8zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

k8loop:
	VMOVUPS.Z        (DI), K1, Z8
	VFMADD231PS.BCST (SI), Z8, Z0
	VFMADD231PS.BCST (SI)(R8*1), Z8, Z1
	VFMADD231PS.BCST (SI)(R8*2), Z8, Z2
	VFMADD231PS.BCST (SI)(R9*1), Z8, Z3
	VFMADD231PS.BCST (R14), Z8, Z4
	VFMADD231PS.BCST (R14)(R8*1), Z8, Z5
	VFMADD231PS.BCST (R14)(R8*2), Z8, Z6
	VFMADD231PS.BCST (R14)(R9*1), Z8, Z7
	ADDQ             R10, SI
	ADDQ             R10, R14
	ADDQ             R11, DI
	DECQ             R13
	JNZ              k8loop

	VMOVUPS Z0, K1, (CX)
	VMOVUPS Z1, K1, (CX)(R12*1)
	VMOVUPS Z2, K1, (CX)(R12*2)
	VMOVUPS Z3, K1, (CX)(DX*1)
	VMOVUPS Z4, K1, (BX)
	VMOVUPS Z5, K1, (BX)(R12*1)
	VMOVUPS Z6, K1, (BX)(R12*2)
	VMOVUPS Z7, K1, (BX)(DX*1)
	VZEROUPPER
	RET
