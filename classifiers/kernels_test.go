package classifiers

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKernels checks addScaled and dot against float64 arithmetic, and
// with AVX2 checks that the vector kernels give the Go versions' bits.
func TestKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 8, 9, 16, 31, 32, 40, 64, 100} {
		for range 200 {
			w := make([]float32, n)
			q := make([]byte, n+3) // longer than w, as an embedding row may be
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			for i := range q {
				q[i] = byte(r.IntN(256))
			}
			v := float32(r.NormFloat64())

			var want float64
			for i := range w {
				want += float64(w[i]) * float64(int8(q[i]))
			}
			got := dot(w, q)
			if math.Abs(float64(got)-want) > 1e-4*(1+math.Abs(want)) {
				t.Fatalf("n=%d: dot %v, want %v", n, got, want)
			}

			h := append([]float32(nil), w...)
			addScaled(h, v, q)
			for i := range h {
				if want := float64(w[i]) + float64(v)*float64(int8(q[i])); math.Abs(float64(h[i])-want) > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("n=%d: addScaled[%d] %v, want %v", n, i, h[i], want)
				}
			}

			m := n &^ 7
			if !haveAVX2 || m == 0 {
				continue
			}
			if a, g := dotAVX2(&w[0], m, &q[0]), dotGo(w[:m], q[:m]); math.Float32bits(a) != math.Float32bits(g) {
				t.Fatalf("n=%d: dotAVX2 %v, dotGo %v", m, a, g)
			}
			ha, hg := append([]float32(nil), w[:m]...), append([]float32(nil), w[:m]...)
			addScaledAVX2(&ha[0], m, v, &q[0])
			addScaledGo(hg, v, q[:m])
			for i := range ha {
				if math.Float32bits(ha[i]) != math.Float32bits(hg[i]) {
					t.Fatalf("n=%d: addScaledAVX2[%d] %v, addScaledGo %v", m, i, ha[i], hg[i])
				}
			}
		}
	}
	if !haveAVX2 {
		t.Log("no AVX2 here: only the Go kernels were checked")
	}
}

func BenchmarkAddScaled(b *testing.B) {
	hid, q := make([]float32, 32), make([]byte, 32)
	for i := range q {
		q[i] = byte(i * 37)
	}
	for b.Loop() {
		addScaled(hid, 0.001, q)
	}
}

func BenchmarkDot(b *testing.B) {
	w, q := make([]float32, 32), make([]byte, 32)
	for i := range q {
		q[i], w[i] = byte(i*37), float32(i)/32
	}
	var s float32
	for b.Loop() {
		s += dot(w, q)
	}
	_ = s
}
