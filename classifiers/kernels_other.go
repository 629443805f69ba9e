//go:build !amd64 || purego

package classifiers

const haveAVX2 = false

func addScaledAVX2(hid *float32, n int, v float32, q *byte) { panic("no AVX2") }

func dotAVX2(w *float32, n int, q *byte) float32 { panic("no AVX2") }

func accumulate32AVX2(hid *float32, vals *float32, rows *int32, n int, mat *byte, stride int) {
	panic("no AVX2")
}

func shares32AVX2(out *float32, w *float32, rows *int32, n int, mat *byte, stride int) {
	panic("no AVX2")
}
