//go:build !purego

package classifiers

import "golang.org/x/sys/cpu"

// haveAVX2 says whether addScaled and dot use the AVX2 kernels.
var haveAVX2 = cpu.X86.HasAVX2

// addScaledAVX2 is addScaledGo over the n (a positive multiple of eight)
// weights at hid and q.
//
//go:noescape
func addScaledAVX2(hid *float32, n int, v float32, q *byte)

// dotAVX2 is dotGo over the n (a positive multiple of eight) weights at w
// and q.
//
//go:noescape
func dotAVX2(w *float32, n int, q *byte) float32
