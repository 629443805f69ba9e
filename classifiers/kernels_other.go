//go:build !amd64 || purego

package classifiers

const haveAVX2 = false

func addScaledAVX2(hid *float32, n int, v float32, q *byte) { panic("no AVX2") }

func dotAVX2(w *float32, n int, q *byte) float32 { panic("no AVX2") }
