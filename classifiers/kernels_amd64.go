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

// accumulate32AVX2 is accumulateGo for rows of 32 weights, the n rows
// rows[:n] of the matrix at mat (stride bytes a row); the caller checks
// that every row is in it.
//
//go:noescape
func accumulate32AVX2(hid *float32, vals *float32, rows *int32, n int, mat *byte, stride int)

// shares32AVX2 is sharesGo for rows of 32 weights, as accumulate32AVX2.
//
//go:noescape
func shares32AVX2(out *float32, w *float32, rows *int32, n int, mat *byte, stride int)
