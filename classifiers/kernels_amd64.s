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
