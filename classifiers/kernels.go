package classifiers

// The two inner loops of scoring, run for every feature of every text:
// addScaled for the hidden layers, dot for the evidence, and the loops
// over a text's features around them (qmatrix.accumulate and
// qmatrix.shares). On amd64 with AVX2 they run eight weights to an
// instruction (kernels_amd64.s), and for rows of 32 weights the loops over
// the features run there too, keeping the hidden layer (or the direction
// dotted with) in registers. The Go versions here are the reference and
// the fallback, and give the same bits: every product is rounded before it
// is added, hidden units add their products feature by feature, and dot
// adds its products in eight lanes, reduced in a fixed order, as the
// vector versions do.

// int8Values maps a stored weight byte to its value: a load from a table
// in the first-level cache costs less than the conversion.
var int8Values = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(int8(byte(i)))
	}
	return t
}()

// addScaled adds v times the weights q (int8 bytes, at least len(hid))
// to hid.
func addScaled(hid []float32, v float32, q []byte) {
	q = q[:len(hid)]
	n := len(hid) &^ 7
	if n > 0 && haveAVX2 {
		addScaledAVX2(&hid[0], n, v, &q[0])
	} else {
		addScaledGo(hid[:n], v, q[:n])
	}
	for u := n; u < len(hid); u++ {
		hid[u] += v * int8Values[q[u]]
	}
}

// addScaledGo is addScaled for a length that is a multiple of eight.
func addScaledGo(hid []float32, v float32, q []byte) {
	for u := 0; u+8 <= len(hid); u += 8 {
		h, r := (*[8]float32)(hid[u:]), (*[8]byte)(q[u:])
		h[0] += v * int8Values[r[0]]
		h[1] += v * int8Values[r[1]]
		h[2] += v * int8Values[r[2]]
		h[3] += v * int8Values[r[3]]
		h[4] += v * int8Values[r[4]]
		h[5] += v * int8Values[r[5]]
		h[6] += v * int8Values[r[6]]
		h[7] += v * int8Values[r[7]]
	}
}

// dot returns the dot product of w and the weights q (int8 bytes, at
// least len(w)): eight lanes of sums over the first multiple of eight
// weights, reduced in pairs (lane j with j+4, then with j+2, then 0 with
// 1), then the rest in order.
func dot(w []float32, q []byte) float32 {
	q = q[:len(w)]
	n := len(w) &^ 7
	var sum float32
	if n > 0 && haveAVX2 {
		sum = dotAVX2(&w[0], n, &q[0])
	} else {
		sum = dotGo(w[:n], q[:n])
	}
	for u := n; u < len(w); u++ {
		sum += w[u] * int8Values[q[u]]
	}
	return sum
}

// dotGo is dot for a length that is a multiple of eight.
func dotGo(w []float32, q []byte) float32 {
	var s [8]float32
	for u := 0; u+8 <= len(w); u += 8 {
		x, r := (*[8]float32)(w[u:]), (*[8]byte)(q[u:])
		s[0] += x[0] * int8Values[r[0]]
		s[1] += x[1] * int8Values[r[1]]
		s[2] += x[2] * int8Values[r[2]]
		s[3] += x[3] * int8Values[r[3]]
		s[4] += x[4] * int8Values[r[4]]
		s[5] += x[5] * int8Values[r[5]]
		s[6] += x[6] * int8Values[r[6]]
		s[7] += x[7] * int8Values[r[7]]
	}
	t0, t1, t2, t3 := s[0]+s[4], s[1]+s[5], s[2]+s[6], s[3]+s[7]
	return (t0 + t2) + (t1 + t3)
}

// accumulate adds to hid (of length m.k), for each i, vals[i] times the
// scale of row rows[i] times its weights: a network's hidden layer before
// rectification. With AVX2 and 32 weights a row, the hidden layer stays in
// registers for all the rows (same bits as accumulateGo).
func (m *qmatrix) accumulate(hid, vals []float32, rows []int32) {
	hid, rows = hid[:m.k], rows[:len(vals)]
	if m.vector32(rows) {
		accumulate32AVX2(&hid[0], &vals[0], &rows[0], len(rows), &m.rows[0], 4+m.k)
		return
	}
	m.accumulateGo(hid, vals, rows)
}

func (m *qmatrix) accumulateGo(hid, vals []float32, rows []int32) {
	for i, v := range vals {
		s, q := m.row(int(rows[i]))
		addScaled(hid, v*s, q)
	}
}

// shares sets out[i] (len(out) == len(rows)) to the scale of row rows[i]
// times the dot product of w (of length m.k) and its weights: each
// feature's share of a direction in the hidden layer. With AVX2 and 32
// weights a row, w stays in registers (same bits as sharesGo).
func (m *qmatrix) shares(out, w []float32, rows []int32) {
	w, rows = w[:m.k], rows[:len(out)]
	if m.vector32(rows) {
		shares32AVX2(&out[0], &w[0], &rows[0], len(rows), &m.rows[0], 4+m.k)
		return
	}
	m.sharesGo(out, w, rows)
}

func (m *qmatrix) sharesGo(out, w []float32, rows []int32) {
	for i, b := range rows {
		s, q := m.row(int(b))
		out[i] = s * dot(w, q)
	}
}

// vector32 reports whether the AVX2 kernels for rows of 32 weights can
// run over rows: the processor has AVX2, m's rows have 32 weights, and
// every row is one of m's (the kernels read the matrix without bounds
// checks).
func (m *qmatrix) vector32(rows []int32) bool {
	return haveAVX2 && m.k == 32 && len(rows) > 0 && m.inRange(rows)
}

// inRange reports whether every row is one of m's.
func (m *qmatrix) inRange(rows []int32) bool {
	n := int32(m.nrows())
	for _, b := range rows {
		if uint32(b) >= uint32(n) {
			return false
		}
	}
	return true
}
