package classifiers

import (
	"context"
	"math"
)

// objective computes f(w) and writes its gradient to grad.
type objective func(w, grad []float64) float64

// lbfgs minimises f from w (updated in place) with limited-memory BFGS
// (memory m) and a backtracking Armijo line search. It stops after maxIter
// iterations, when the gradient's norm falls below gtol, or when an
// iteration improves f by less than ftol relative. It uses no randomness:
// the same f and start give the same result. (The explicit float64
// conversions in the loops forbid fused multiply-adds, so that results do
// not depend on the architecture either.) It returns the iterations
// done and the final value.
func lbfgs(ctx context.Context, f objective, w []float64, maxIter, m int, gtol, ftol float64) (int, float64, error) {
	n := len(w)
	g := make([]float64, n)
	fx := f(w, g)
	s := make([][]float64, 0, m)
	y := make([][]float64, 0, m)
	rho := make([]float64, 0, m)
	alpha := make([]float64, m)
	d := make([]float64, n)
	wNew := make([]float64, n)
	gNew := make([]float64, n)
	for it := 1; it <= maxIter; it++ {
		if err := ctx.Err(); err != nil {
			return it - 1, fx, err
		}
		if norm(g) < gtol {
			return it - 1, fx, nil
		}
		// Two-loop recursion: d = -H g.
		for i := range d {
			d[i] = -g[i]
		}
		for k := len(s) - 1; k >= 0; k-- {
			alpha[k] = rho[k] * dot(s[k], d)
			axpy(-alpha[k], y[k], d)
		}
		if k := len(s) - 1; k >= 0 {
			scale(dot(s[k], y[k])/dot(y[k], y[k]), d)
		} else {
			scale(1/math.Max(norm(g), 1), d)
		}
		for k := range s {
			b := rho[k] * dot(y[k], d)
			axpy(alpha[k]-b, s[k], d)
		}
		dg := dot(d, g)
		if !(dg < 0) { // not a descent direction: restart from the gradient
			s, y, rho = s[:0], y[:0], rho[:0]
			for i := range d {
				d[i] = -g[i] / math.Max(norm(g), 1)
			}
			dg = dot(d, g)
		}
		step := 1.0
		var fNew float64
		for tries := 0; ; tries++ {
			for i := range w {
				wNew[i] = w[i] + float64(step*d[i])
			}
			fNew = f(wNew, gNew)
			if fNew <= fx+1e-4*step*dg {
				break
			}
			if tries == 40 {
				return it, fx, nil // no progress possible
			}
			step /= 2
		}
		// Update the memory with this step.
		var sk, yk []float64
		if len(s) == m {
			sk, yk = s[0], y[0]
			s, y, rho = append(s[:0], s[1:]...), append(y[:0], y[1:]...), append(rho[:0], rho[1:]...)
		} else {
			sk, yk = make([]float64, n), make([]float64, n)
		}
		for i := range w {
			sk[i] = wNew[i] - w[i]
			yk[i] = gNew[i] - g[i]
		}
		if sy := dot(sk, yk); sy > 1e-12 {
			s, y, rho = append(s, sk), append(y, yk), append(rho, 1/sy)
		}
		copy(w, wNew)
		copy(g, gNew)
		improved := fx - fNew
		fx = fNew
		if improved < ftol*math.Max(1, math.Abs(fx)) {
			return it, fx, nil
		}
	}
	return maxIter, fx, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += float64(a[i] * b[i])
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func axpy(alpha float64, x, y []float64) {
	for i := range x {
		y[i] += float64(alpha * x[i])
	}
}

func scale(alpha float64, x []float64) {
	for i := range x {
		x[i] *= alpha
	}
}
