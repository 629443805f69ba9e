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

// TestMatrixKernels checks a matrix's accumulate and shares against
// float64 arithmetic over its rows, and with AVX2 (rows of 32 weights)
// that the vector kernels give the Go versions' bits.
func TestMatrixKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{8, 16, 32} {
		const nrows = 50
		mat := make([]float32, nrows*k)
		for i := range mat {
			mat[i] = float32(r.NormFloat64())
		}
		m := newQMatrix(mat, k)
		for _, n := range []int{0, 1, 2, 7, 300} {
			rows, vals := make([]int32, n), make([]float32, n)
			for i := range rows {
				rows[i], vals[i] = int32(r.IntN(nrows)), float32(r.NormFloat64())
			}
			w, bias := make([]float32, k), make([]float32, k)
			for u := range w {
				w[u], bias[u] = float32(r.NormFloat64()), float32(r.NormFloat64())
			}

			hid := append([]float32(nil), bias...)
			m.accumulate(hid, vals, rows)
			out := make([]float32, n)
			m.shares(out, w, rows)
			for u := range hid {
				want := float64(bias[u])
				for i, b := range rows {
					s, q := m.row(int(b))
					want += float64(vals[i]) * float64(s) * float64(int8(q[u]))
				}
				if math.Abs(float64(hid[u])-want) > 1e-3*(1+math.Abs(want)) {
					t.Fatalf("k=%d n=%d: accumulate[%d] %v, want %v", k, n, u, hid[u], want)
				}
			}
			for i, b := range rows {
				s, q := m.row(int(b))
				var want float64
				for u := range w {
					want += float64(w[u]) * float64(int8(q[u]))
				}
				want *= float64(s)
				if math.Abs(float64(out[i])-want) > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("k=%d n=%d: shares[%d] %v, want %v", k, n, i, out[i], want)
				}
			}

			hg := append([]float32(nil), bias...)
			m.accumulateGo(hg, vals, rows)
			og := make([]float32, n)
			m.sharesGo(og, w, rows)
			for u := range hid {
				if math.Float32bits(hid[u]) != math.Float32bits(hg[u]) {
					t.Fatalf("k=%d n=%d: accumulate[%d] %v, accumulateGo %v", k, n, u, hid[u], hg[u])
				}
			}
			for i := range out {
				if math.Float32bits(out[i]) != math.Float32bits(og[i]) {
					t.Fatalf("k=%d n=%d: shares[%d] %v, sharesGo %v", k, n, i, out[i], og[i])
				}
			}
		}
		if m.inRange([]int32{0, nrows - 1}) != true || m.inRange([]int32{nrows}) || m.inRange([]int32{-1}) {
			t.Fatalf("k=%d: inRange wrong at the ends", k)
		}
	}
	if !haveAVX2 {
		t.Log("no AVX2 here: only the Go kernels were checked")
	}
}
