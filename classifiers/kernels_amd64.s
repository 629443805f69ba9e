//go:build !purego

#include "textflag.h"

// func addScaledAVX2(hid *float32, n int, v float32, q *byte)
// hid[i] += v * float32(int8(q[i])) for i < n, eight at a time: each
// product rounded, then added, as addScaledGo does.
TEXT ·addScaledAVX2(SB), NOSPLIT, $0-32
	MOVQ         hid+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS v+16(FP), Y0
	MOVQ         q+24(FP), SI

loop:
	VPMOVSXBD (SI), Y1
	VCVTDQ2PS Y1, Y1
	VMULPS    Y0, Y1, Y1
	VADDPS    (DI), Y1, Y1
	VMOVUPS   Y1, (DI)
	ADDQ      $32, DI
	ADDQ      $8, SI
	SUBQ      $8, CX
	JNZ       loop
	VZEROUPPER
	RET

// func dotAVX2(w *float32, n int, q *byte) float32
// The sum of w[i] * float32(int8(q[i])) for i < n in eight lanes, reduced
// as dotGo reduces them.
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   w+0(FP), DI
	MOVQ   n+8(FP), CX
	MOVQ   q+16(FP), SI
	VXORPS Y0, Y0, Y0

loop:
	VPMOVSXBD (SI), Y1
	VCVTDQ2PS Y1, Y1
	VMULPS    (DI), Y1, Y1
	VADDPS    Y1, Y0, Y0
	ADDQ      $32, DI
	ADDQ      $8, SI
	SUBQ      $8, CX
	JNZ       loop

	// Lanes j and j+4, then j and j+2, then 0 and 1.
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VZEROUPPER
	MOVSS        X0, ret+24(FP)
	RET

// WEIGHTS(off, t, m, acc): eight int8 weights at off(AX), widened into t
// and made float, times m (each product rounded), added into acc.
#define WEIGHTS(off, t, m, acc) \
	VPMOVSXBD off(AX), t; \
	VCVTDQ2PS t, t;       \
	VMULPS    m, t, t;    \
	VADDPS    t, acc, acc

// func accumulate32AVX2(hid *float32, vals *float32, rows *int32, n int, mat *byte, stride int)
// For i < n: hid[u] += (vals[i] * scale) * float32(int8(w[u])) for u < 32,
// where row rows[i] of mat (stride bytes apart) holds the scale (4 bytes)
// and then the 32 weights w. The hidden layer stays in four registers; each
// product is rounded, then added, in the order addScaledAVX2 adds them.
TEXT ·accumulate32AVX2(SB), NOSPLIT, $0-48
	MOVQ    hid+0(FP), DI
	MOVQ    vals+8(FP), R8
	MOVQ    rows+16(FP), R9
	MOVQ    n+24(FP), CX
	MOVQ    mat+32(FP), SI
	MOVQ    stride+40(FP), R10
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	TESTQ   CX, CX
	JZ      accdone

accloop:
	MOVLQSX      (R9), AX
	IMULQ        R10, AX
	ADDQ         SI, AX
	VMOVSS       (R8), X4
	VMULSS       (AX), X4, X4
	VBROADCASTSS X4, Y4
	WEIGHTS(4, Y5, Y4, Y0)
	WEIGHTS(12, Y6, Y4, Y1)
	WEIGHTS(20, Y7, Y4, Y2)
	WEIGHTS(28, Y5, Y4, Y3)
	ADDQ         $4, R8
	ADDQ         $4, R9
	DECQ         CX
	JNZ          accloop

accdone:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VZEROUPPER
	RET

// func shares32AVX2(out *float32, w *float32, rows *int32, n int, mat *byte, stride int)
// For i < n: out[i] = scale * dot, where row rows[i] of mat holds the scale
// and 32 weights q, and dot is the sum of w[u] * float32(int8(q[u])) in
// eight lanes, reduced as dotAVX2 reduces them. w stays in four registers.
TEXT ·shares32AVX2(SB), NOSPLIT, $0-48
	MOVQ    out+0(FP), DI
	MOVQ    w+8(FP), R8
	MOVQ    rows+16(FP), R9
	MOVQ    n+24(FP), CX
	MOVQ    mat+32(FP), SI
	MOVQ    stride+40(FP), R10
	VMOVUPS (R8), Y8
	VMOVUPS 32(R8), Y9
	VMOVUPS 64(R8), Y10
	VMOVUPS 96(R8), Y11
	TESTQ   CX, CX
	JZ      shdone

shloop:
	MOVLQSX   (R9), AX
	IMULQ     R10, AX
	ADDQ      SI, AX
	VXORPS    Y0, Y0, Y0
	WEIGHTS(4, Y1, Y8, Y0)
	WEIGHTS(12, Y2, Y9, Y0)
	WEIGHTS(20, Y3, Y10, Y0)
	WEIGHTS(28, Y1, Y11, Y0)

	// Lanes j and j+4, then j and j+2, then 0 and 1.
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VMULSS       (AX), X0, X0
	VMOVSS       X0, (DI)
	ADDQ         $4, DI
	ADDQ         $4, R9
	DECQ         CX
	JNZ          shloop

shdone:
	VZEROUPPER
	RET
