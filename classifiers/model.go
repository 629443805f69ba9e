package classifiers

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// The default model, written by `go generate` (see train.go).
//
//go:embed model
var modelFS embed.FS

const (
	embeddedModelPath = "model/model.bin"
	// embeddedModelSumPath holds the embedded model's SHA-256, written by
	// `go generate` beside it in the format of sha256sum (and checked by
	// TestEmbeddedModelSum), so that starting does not hash 14 MB: that
	// was 30% of the instructions of a start.
	embeddedModelSumPath = embeddedModelPath + ".sha256"
	modelMagic           = "HOTLINE-CLASSIFIER\x00"
	// modelFormat 6: the sub-type network has a say in the category
	// (ModelInfo.SubWeight). Format 5 put the networks over a vocabulary of
	// features, stored at the end, and stopped compressing the file (format
	// 4 was gzip-compressed, which made loading it take 130 ms instead of
	// 30; format 3 hashed the features). Formats 1 to 5 are no longer read.
	modelFormat = 6
)

// ModelInfo describes a trained model; it is stored in the model file.
type ModelInfo struct {
	Format     int           `json:"format"`
	Categories []string      `json:"categories"`
	Subtypes   []string      `json:"subtypes"` // "category/sub", the sub-type model's classes
	Params     FeatureParams `json:"params"`
	// Hidden is the number of hidden units of each network.
	Hidden int `json:"hidden"`
	// SubWeight is the sub-type network's say in the category: each
	// category's logit gets SubWeight times the log-sum-exp of the logits of
	// its sub-types (see addSubtypeSay; chosen out-of-fold, 0 for none).
	SubWeight float64 `json:"sub_weight"`
	// Temperature divides the category logits (calibrated out-of-fold).
	Temperature float64   `json:"temperature"`
	Training    TrainInfo `json:"training"`
	// DictMorphs is the number of entries of the IPA dictionary the lemma
	// table's ids refer to.
	DictMorphs    int    `json:"dict_morphs"`
	LexiconSHA256 string `json:"lexicon_sha256"`
}

// TrainInfo records how a model was trained.
type TrainInfo struct {
	TrainSHA256 string    `json:"train_sha256"`
	DevSHA256   string    `json:"dev_sha256"`
	TrainItems  int       `json:"train_items"`
	DevItems    int       `json:"dev_items"`
	Seed        uint64    `json:"seed"`
	Folds       int       `json:"folds"`
	Net         NetParams `json:"net"`        // the networks' training
	Epochs      int       `json:"epochs"`     // the category network's, chosen out-of-fold
	SubEpochs   int       `json:"sub_epochs"` // the sub-type network's, chosen out-of-fold
	// CVSubtypeAccuracy is the sub-type network's out-of-fold accuracy
	// among the sub-types of each item's own category.
	CVSubtypeAccuracy float64 `json:"cv_subtype_accuracy"`
	ClassWeight       string  `json:"class_weight"`
	CVMacroF1         float64 `json:"cv_macro_f1"` // out-of-fold, after the sub-type network's say, the none offset and severe boost (calibration keeps the argmax)
	CVNLL             float64 `json:"cv_nll"`      // out-of-fold, after calibration
	NoneOffset        float64 `json:"none_offset"` // added to the none bias (chosen out-of-fold)
	// MaxHardNegativeRate bounded the out-of-fold share of hard negatives
	// flagged when NoneOffset was chosen; CVHardNegativeRate is the share.
	MaxHardNegativeRate float64 `json:"max_hard_negative_rate"`
	CVHardNegativeRate  float64 `json:"cv_hard_negative_rate"`
	// SevereBoost is added to the biases of critical_crime and
	// suicide_inducement, whose misses are the worst (chosen out-of-fold,
	// after NoneOffset, within the same bound on hard negatives).
	SevereBoost float64 `json:"severe_boost"`
	// Respell is the share of items given a respelt copy for training;
	// RespeltItems is how many were (see augment.go).
	Respell      float64 `json:"respell"`
	RespeltItems int     `json:"respelt_items"`
	Features     int     `json:"features"` // features in the vocabulary
}

// model is a loaded model: the category network and the sub-type network
// over the vocabulary's features, and the tables the features need.
type model struct {
	info   ModelInfo
	sha256 string
	cat    netModel // nCat outputs
	sub    netModel // an output per sub-type
	lemmas lemmaTable
	// readings holds the readings of the words written with kanji the
	// model was trained on (for the reading features).
	readings lemmaTable
	derived  []DerivedEntry
	// vocab names the rows of the features the networks know.
	vocab *vocabulary
	// subRange[c] is the range of sub-type outputs of category c.
	subRange [nCat][2]int
}

// netModel is a network over the features of a vocabulary: each feature
// adds its value times its embedding row into one hidden layer of
// rectified units, which out maps to k outputs (see net.go).
type netModel struct {
	emb     qmatrix   // a row of hidden units per vocabulary row
	hidBias []float32 // by hidden unit
	out     []float32 // hidden unit u's weights: out[u*k:][:k]
	bias    []float32 // by output
}

// outputs returns the number of outputs.
func (n *netModel) outputs() int { return len(n.bias) }

// hidden computes the rectified hidden layer of the features with values
// vals at rows into hid (resized) and returns it with the sum
// qmatrix.touch returns.
func (n *netModel) hidden(vals []float32, rows []int32, hid []float32) ([]float32, byte) {
	touch := n.emb.touch(rows)
	hid = append(hid[:0], n.hidBias...)
	n.emb.accumulate(hid, vals, rows)
	for u, x := range hid {
		hid[u] = max(x, 0)
	}
	return hid, touch
}

// logits adds to z (holding the biases) the outputs of the rectified
// hidden layer hid.
func (n *netModel) logits(hid []float32, z []float32) {
	addOutputs(z, hid, n.out)
}

// addOutputs adds to z the outputs of the rectified hidden layer hid,
// whose unit u has the weights out[u*len(z):][:len(z)]. Training and
// scoring share it.
func addOutputs(z, hid, out []float32) {
	k := len(z)
	for u, x := range hid {
		if x == 0 {
			continue
		}
		w := out[u*k:][:k]
		for j := range z {
			z[j] += x * w[j]
		}
	}
}

func embeddedModel() (*model, error) {
	f, err := modelFS.Open(embeddedModelPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // not trained yet: rules only
	}
	if err != nil {
		return nil, fmt.Errorf("classifiers: embedded model: %w", err)
	}
	defer f.Close()
	line, err := modelFS.ReadFile(embeddedModelSumPath)
	if err != nil {
		return nil, fmt.Errorf("classifiers: embedded model's SHA-256: %w", err)
	}
	sum, _, _ := strings.Cut(string(line), " ")
	if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("classifiers: embedded model's SHA-256: %q is not one", sum)
	}
	m, err := readModel(f, sum)
	if err != nil {
		return nil, fmt.Errorf("classifiers: embedded model: %w", err)
	}
	return m, nil
}

func readModelFile(path string) (*model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("classifiers: model: %w", err)
	}
	defer f.Close()
	m, err := readModel(f, "")
	if err != nil {
		return nil, fmt.Errorf("classifiers: model %s: %w", path, err)
	}
	return m, nil
}

// check verifies that the model fits the labels and the dictionary.
func (m *model) check(lb *labels, mo *morph) error {
	if len(m.info.Categories) != nCat {
		return fmt.Errorf("classifiers: model has %d categories, want %d", len(m.info.Categories), nCat)
	}
	for i, c := range m.info.Categories {
		if hotline.Category(c) != lb.cats[i] {
			return fmt.Errorf("classifiers: model category %d is %q, want %q", i, c, lb.cats[i])
		}
	}
	if len(m.info.Subtypes) != len(lb.subs) {
		return fmt.Errorf("classifiers: model has %d sub-types, want %d", len(m.info.Subtypes), len(lb.subs))
	}
	for i, s := range m.info.Subtypes {
		if want := string(lb.cats[lb.subs[i].cat]) + "/" + lb.subs[i].name; s != want {
			return fmt.Errorf("classifiers: model sub-type %d is %q, want %q", i, s, want)
		}
	}
	if err := m.findSubRanges(); err != nil {
		return err
	}
	if m.info.DictMorphs != len(mo.dict.Morphs) {
		return fmt.Errorf("classifiers: model was trained with a dictionary of %d entries, this one has %d", m.info.DictMorphs, len(mo.dict.Morphs))
	}
	return nil
}

// scoreCat computes both networks' outputs and the calibrated category
// probabilities, after finding the rows of the features the vocabulary
// knows (a.rows, a.vals, a.known), which featureEvidence uses too. The
// others, whose row is all zero (38% of the features of the white paper's
// prose), are left out of the sums.
func (m *model) scoreCat(a *analysis) {
	zero := int32(m.vocab.rows() - 1)
	// Grown, not cleared: every entry up to n is written before it is read.
	nf := len(a.feats)
	a.rows, a.vals, a.known = slices.Grow(a.rows[:0], nf)[:nf], slices.Grow(a.vals[:0], nf)[:nf], slices.Grow(a.known[:0], nf)[:nf]
	n := 0
	for i := range a.feats {
		r := m.vocab.row(a.feats[i].h)
		a.rows[n], a.vals[n], a.known[n] = r, a.feats[i].v, int32(i)
		if r != zero {
			n++
		}
	}
	a.rows, a.vals, a.known = a.rows[:n], a.vals[:n], a.known[:n]
	var touch, subTouch byte
	a.hid, touch = m.cat.hidden(a.vals, a.rows, a.hid)
	a.subHid, subTouch = m.sub.hidden(a.vals, a.rows, a.subHid)
	a.touch += touch + subTouch
	var z [nCat]float32
	copy(z[:], m.cat.bias)
	m.cat.logits(a.hid, z[:])
	a.subZ = append(a.subZ[:0], m.sub.bias...)
	m.sub.logits(a.subHid, a.subZ)
	for k := range z {
		a.z[k] = float64(z[k])
	}
	addSubtypeSay(a.z[:], a.subZ, &m.subRange, m.info.SubWeight)
	softmax(a.z[:], a.p[:], m.info.Temperature)
}

// addSubtypeSay adds to each category's logit z[c] w times the
// log-sum-exp of its sub-types' logits sub[subRange[c][0]:subRange[c][1]]:
// the sub-type network's log-probability of the category, but for a term
// the same for every category, which the softmax ignores. Two networks
// trained on different labels err differently; together they erred less
// out-of-fold. Training and scoring share it.
func addSubtypeSay[T float32 | float64](z []float64, sub []T, subRange *[nCat][2]int, w float64) {
	if w == 0 {
		return
	}
	for c := range z {
		s := sub[subRange[c][0]:subRange[c][1]]
		mx := float64(slices.Max(s))
		var sum float64
		for _, v := range s {
			sum += math.Exp(float64(v) - mx)
		}
		z[c] += w * (mx + math.Log(sum))
	}
}

// scoreSub returns the most likely sub-type (index in labels.subs) of
// category cat, from the outputs scoreCat computed.
func (m *model) scoreSub(a *analysis, cat int) int {
	lo, hi := m.subRange[cat][0], m.subRange[cat][1]
	return lo + argmax(a.subZ[lo:hi])
}

// findSubRanges sets subRange from the info's sub-types.
func (m *model) findSubRanges() error {
	m.subRange = [nCat][2]int{}
	for k := range m.info.Subtypes {
		c := m.catOfSub(k)
		if c < 0 {
			return fmt.Errorf("classifiers: model sub-type %q is of no category", m.info.Subtypes[k])
		}
		if r := &m.subRange[c]; r[1] == 0 {
			r[0], r[1] = k, k+1
		} else if r[1] == k {
			r[1] = k + 1
		} else {
			return fmt.Errorf("classifiers: model sub-types of %s are not adjacent", m.info.Categories[c])
		}
	}
	return nil
}

func (m *model) catOfSub(k int) int {
	c, _, _ := strings.Cut(m.info.Subtypes[k], "/")
	return slices.Index(m.info.Categories, c)
}

// featureEvidence appends the features that pushed hardest towards
// category cat. With the hidden units that scoreCat left active held so,
// the category network's logits are a sum over the features (plus
// biases), and a feature's share is its value times its embedding row
// times the active units' weights towards cat less their mean weight over
// the categories. The sub-type network's say (addSubtypeSay) is not
// linear in its logits; its share is taken to first order: the gradient of
// cat's log-sum-exp, less the mean gradient over the categories, by each
// sub-type logit is the sub-type's probability within its category, for
// cat's sub-types less a 1/nCat share for all.
func (m *model) featureEvidence(a *analysis, cat int, ev []hotline.Evidence) []hotline.Evidence {
	var top [featureEvidence]contrib
	for _, t := range top[:m.strongestFeatures(a, cat, &top)] {
		ev = append(ev, hotline.Evidence{
			Term:     a.feats[t.feat].name(),
			Category: hotline.Category(m.info.Categories[cat]),
			Kind:     "feature",
			Weight:   round4(t.w),
		})
	}
	return ev
}

// contrib is a feature's share of a category's margin: a.feats[feat]'s.
type contrib struct {
	feat int
	w    float64
}

// strongestFeatures fills top with the features of a with the largest
// positive shares of cat's margin (see featureEvidence), largest first,
// and returns how many it found.
func (m *model) strongestFeatures(a *analysis, cat int, top *[featureEvidence]contrib) int {
	n := 0
	// toward[u]: how much a unit of hidden unit u favours cat.
	a.toward = resize(a.toward, len(a.hid))
	for u, x := range a.hid {
		if x > 0 {
			w := m.cat.out[u*nCat:][:nCat]
			var mean float32
			for _, v := range w {
				mean += v
			}
			a.toward[u] = w[cat] - mean/nCat
		}
	}
	subW := float32(m.info.SubWeight)
	if subW != 0 {
		k := m.sub.outputs()
		a.pull = resize(a.pull, k)
		for c, r := range m.subRange {
			z, pull := a.subZ[r[0]:r[1]], a.pull[r[0]:r[1]]
			mx := slices.Max(z)
			var sum float32
			for j, v := range z {
				pull[j] = float32(math.Exp(float64(v - mx)))
				sum += pull[j]
			}
			share := -1 / float32(nCat)
			if c == cat {
				share++
			}
			for j := range pull {
				pull[j] *= share / sum
			}
		}
		a.towardSub = resize(a.towardSub, len(a.subHid))
		for u, x := range a.subHid {
			if x > 0 {
				var t float32
				for j, w := range m.sub.out[u*k:][:k] {
					t += w * a.pull[j]
				}
				a.towardSub[u] = subW * t
			}
		}
	}
	// Grown, not cleared: shares writes every entry.
	nr := len(a.rows)
	a.share = slices.Grow(a.share[:0], nr)[:nr]
	m.cat.emb.shares(a.share, a.toward, a.rows)
	if subW != 0 {
		a.subShare = slices.Grow(a.subShare[:0], nr)[:nr]
		m.sub.emb.shares(a.subShare, a.towardSub, a.rows)
	}
	for i, v := range a.vals {
		share := a.share[i]
		if subW != 0 {
			share += a.subShare[i]
		}
		c := float64(v * share)
		if c <= 0 {
			continue
		}
		// Insert into the top list, largest first.
		j := n
		if n < len(top) {
			n++
		} else if c <= top[n-1].w {
			continue
		} else {
			j = n - 1
		}
		for ; j > 0 && top[j-1].w < c; j-- {
			top[j] = top[j-1]
		}
		top[j] = contrib{int(a.known[i]), c}
	}
	return n
}

// encode writes the model file: the magic, the info as JSON, each
// network (the non-zero rows of its embedding matrix, its hidden biases,
// output weights and output biases), the lemma table, the derived lexicon,
// the reading table and the vocabulary's hashes, little-endian. The same
// model always encodes to the same bytes.
func (m *model) encode() ([]byte, error) {
	var raw bytes.Buffer
	info, err := json.Marshal(m.info)
	if err != nil {
		return nil, fmt.Errorf("classifiers: model info: %w", err)
	}
	raw.WriteString(modelMagic)
	putUvarint(&raw, uint64(len(info)))
	raw.Write(info)
	for _, n := range []*netModel{&m.cat, &m.sub} {
		writeRows(&raw, n.emb)
		writeFloats(&raw, n.hidBias)
		writeFloats(&raw, n.out)
		writeFloats(&raw, n.bias)
	}
	writeTable(&raw, &m.lemmas)
	der, err := json.Marshal(m.derived)
	if err != nil {
		return nil, fmt.Errorf("classifiers: derived lexicon: %w", err)
	}
	putUvarint(&raw, uint64(len(der)))
	raw.Write(der)
	if m.info.Params.ReadScale > 0 {
		writeTable(&raw, &m.readings)
	}
	putUvarint(&raw, uint64(len(m.vocab.keys)))
	var b [8]byte
	for _, h := range m.vocab.keys {
		binary.LittleEndian.PutUint64(b[:], h)
		raw.Write(b[:])
	}
	return raw.Bytes(), nil
}

// writeTable writes a lemma (or reading) table: its forms, then its ids
// as differences, each with its form's index.
func writeTable(w *bytes.Buffer, t *lemmaTable) {
	putUvarint(w, uint64(len(t.forms)))
	for _, f := range t.forms {
		putUvarint(w, uint64(len(f)))
		w.WriteString(f)
	}
	putUvarint(w, uint64(len(t.ids)))
	prev := int32(0)
	for i, id := range t.ids {
		putUvarint(w, uint64(id-prev))
		putUvarint(w, uint64(t.lemmas[i]))
		prev = id
	}
}

// readTable reads what writeTable wrote.
func (r *modelReader) table(t *lemmaTable) error {
	nForms := r.uvarint()
	if nForms > 1<<22 {
		return fmt.Errorf("implausible table of %d forms", nForms)
	}
	t.forms = make([]string, 0, nForms)
	for i := uint64(0); i < nForms && r.err == nil; i++ {
		t.forms = append(t.forms, string(r.bytes(r.uvarint())))
	}
	nIDs := r.uvarint()
	if nIDs > 1<<22 {
		return fmt.Errorf("implausible table of %d entries", nIDs)
	}
	t.ids = make([]int32, 0, nIDs)
	t.lemmas = make([]uint32, 0, nIDs)
	id := int64(0)
	for i := uint64(0); i < nIDs && r.err == nil; i++ {
		id += int64(r.uvarint())
		f := r.uvarint()
		if f >= nForms || id > math.MaxInt32 {
			return errors.New("table out of range")
		}
		if len(t.ids) > 0 && int32(id) <= t.ids[len(t.ids)-1] {
			return errors.New("table ids not increasing")
		}
		t.ids = append(t.ids, int32(id))
		t.lemmas = append(t.lemmas, uint32(f))
	}
	t.index()
	return nil
}

func putUvarint(w *bytes.Buffer, x uint64) {
	var b [binary.MaxVarintLen64]byte
	w.Write(b[:binary.PutUvarint(b[:], x)])
}

func writeFloats(w *bytes.Buffer, xs []float32) {
	var b [4]byte
	for _, x := range xs {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		w.Write(b[:])
	}
}

// qmatrix is a row-major weight matrix quantised to int8 per row: the
// weight of column c in row b is scale·q[c] of row b, and a row whose
// scale is 0 is all zero. Quantised, the matrices take a quarter of the
// memory. Each row is one record, its float32 scale followed by its k
// values, so that scoring a feature reads one place in memory, not two.
type qmatrix struct {
	k    int
	rows []byte // per row: 4 bytes of scale (little-endian), k int8
}

func makeQMatrix(n, k int) qmatrix {
	return qmatrix{k: k, rows: make([]byte, n*(4+k))}
}

// nrows returns the number of rows.
func (m *qmatrix) nrows() int {
	if m.k == 0 {
		return 0
	}
	return len(m.rows) / (4 + m.k)
}

// touch reads the first and the last byte of the row of every feature
// and returns their sum, which the caller keeps so that the reads are not
// optimised away. The rows of a text's features lie all over a matrix too
// large for the cache: read in a loop that does nothing else, many are
// fetched from memory at once, and the scoring loop after it finds them
// in cache instead of waiting for each in turn. A row of a network (36
// bytes) crosses a cache line more often than not, hence both ends.
func (m *qmatrix) touch(rows []int32) byte {
	var sum byte
	w := 4 + m.k
	for _, b := range rows {
		r := m.rows[int(b)*w:][:w]
		sum += r[0] + r[w-1]
	}
	return sum
}

// row returns the scale of bucket b and its values (bytes read as int8).
func (m *qmatrix) row(b int) (float32, []byte) {
	r := m.rows[b*(4+m.k):][: 4+m.k : 4+m.k]
	return math.Float32frombits(binary.LittleEndian.Uint32(r)), r[4:]
}

func (m *qmatrix) setScale(b int, s float32) {
	binary.LittleEndian.PutUint32(m.rows[b*(4+m.k):], math.Float32bits(s))
}

// newQMatrix quantises mat, a bucket-major matrix with k columns: each
// row's largest magnitude becomes ±127.
func newQMatrix(mat []float32, k int) qmatrix {
	n := len(mat) / k
	m := makeQMatrix(n, k)
	q := make([]int8, k)
	for b := range n {
		m.setScale(b, quantizeRow(mat[b*k:(b+1)*k], q))
		_, row := m.row(b)
		for i, x := range q {
			row[i] = byte(x)
		}
	}
	return m
}

// quantizeRow returns the scale of row and writes its int8 values to q.
func quantizeRow(row []float32, q []int8) float32 {
	var mx float32
	for _, x := range row {
		mx = max(mx, float32(math.Abs(float64(x))))
	}
	s := mx / 127
	for i, x := range row {
		q[i] = 0
		if s > 0 {
			q[i] = int8(math.Round(float64(x / s)))
		}
	}
	return s
}

// writeRows writes the non-zero rows of m: the number of rows and of
// those stored, then each stored row as its distance from the previous
// one, its float32 scale and k int8 values.
func writeRows(w *bytes.Buffer, m qmatrix) {
	var rows []int
	for b := range m.nrows() {
		if s, _ := m.row(b); s != 0 {
			rows = append(rows, b)
		}
	}
	putUvarint(w, uint64(m.nrows()))
	putUvarint(w, uint64(len(rows)))
	prev := 0
	for _, b := range rows {
		putUvarint(w, uint64(b-prev))
		s, q := m.row(b)
		writeFloats(w, []float32{s})
		w.Write(q)
		prev = b
	}
}

type modelReader struct {
	r   *bufio.Reader
	err error
}

func (r *modelReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	x, err := binary.ReadUvarint(r.r)
	if err != nil {
		r.err = err
	}
	return x
}

func (r *modelReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > 1<<26 {
		r.err = fmt.Errorf("implausible length %d", n)
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.err = err
	}
	return b
}

func (r *modelReader) floats(dst []float32) {
	b := r.bytes(uint64(4 * len(dst)))
	if r.err != nil {
		return
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

func (r *modelReader) rows(k int) qmatrix {
	nb := r.uvarint()
	nrows := r.uvarint()
	if r.err != nil {
		return qmatrix{}
	}
	if nb > 1<<24 || nrows > nb || k <= 0 {
		r.err = fmt.Errorf("implausible matrix: %d rows, %d stored", nb, nrows)
		return qmatrix{}
	}
	m := makeQMatrix(int(nb), k)
	b := uint64(0)
	for i := uint64(0); i < nrows && r.err == nil; i++ {
		if d := r.uvarint(); i > 0 && d == 0 {
			r.err = errors.New("rows out of order")
			break
		} else {
			b += d
		}
		if b >= nb {
			r.err = fmt.Errorf("row %d out of range", b)
			break
		}
		// The scale and values as stored are the row's bytes: read them
		// in place, without a buffer per row.
		if _, err := io.ReadFull(r.r, m.rows[int(b)*(4+k):][:4+k]); err != nil {
			r.err = err
		}
	}
	return m
}

// net reads what encode wrote of a network with hidden units and k
// outputs.
func (r *modelReader) net(hidden, k int) netModel {
	n := netModel{emb: r.rows(hidden), hidBias: make([]float32, hidden), out: make([]float32, hidden*k), bias: make([]float32, k)}
	r.floats(n.hidBias)
	r.floats(n.out)
	r.floats(n.bias)
	return n
}

// readModel decodes a model file as it reads it from fr, so that the
// embedded model is not copied first. The model's SHA-256 is sum (hex) if
// the caller knows it; if sum is "", readModel hashes the file on the way.
func readModel(fr io.Reader, sum string) (*model, error) {
	h := sha256.New()
	if sum == "" {
		fr = io.TeeReader(fr, h)
	}
	r := &modelReader{r: bufio.NewReaderSize(fr, 64<<10)}
	if b, _ := r.r.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
		return nil, errors.New("a gzip-compressed model, of format 4 or before: this build reads format 5")
	}
	var err error
	if magic := r.bytes(uint64(len(modelMagic))); r.err == nil && string(magic) != modelMagic {
		return nil, errors.New("not a hotline classifier model")
	}
	m := &model{}
	info := r.bytes(r.uvarint())
	if r.err != nil {
		return nil, r.err
	}
	if err := json.Unmarshal(info, &m.info); err != nil {
		return nil, fmt.Errorf("model info: %w", err)
	}
	if m.info.Format != modelFormat {
		return nil, fmt.Errorf("model format %d, want %d", m.info.Format, modelFormat)
	}
	p := m.info.Params
	if p.MinCount < 1 {
		return nil, fmt.Errorf("implausible least feature count %d", p.MinCount)
	}
	if !(m.info.Temperature > 0) {
		return nil, fmt.Errorf("temperature %v", m.info.Temperature)
	}
	if h := m.info.Hidden; h < 1 || h > 1024 {
		return nil, fmt.Errorf("implausible network of %d hidden units", h)
	}
	nSub := len(m.info.Subtypes)
	m.cat = r.net(m.info.Hidden, nCat)
	m.sub = r.net(m.info.Hidden, nSub)
	if err := r.table(&m.lemmas); err != nil {
		return nil, fmt.Errorf("lemma table: %w", err)
	}
	der := r.bytes(r.uvarint())
	if r.err != nil {
		return nil, fmt.Errorf("truncated model: %w", r.err)
	}
	if err := json.Unmarshal(der, &m.derived); err != nil {
		return nil, fmt.Errorf("derived lexicon: %w", err)
	}
	if p.ReadScale > 0 {
		if err := r.table(&m.readings); err != nil {
			return nil, fmt.Errorf("reading table: %w", err)
		}
		if r.err != nil {
			return nil, fmt.Errorf("truncated model: %w", r.err)
		}
	}
	n := r.uvarint()
	if r.err == nil && n > maxVocab {
		return nil, fmt.Errorf("implausible vocabulary of %d features", n)
	}
	raw := r.bytes(8 * n)
	if r.err != nil {
		return nil, fmt.Errorf("truncated model: %w", r.err)
	}
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = binary.LittleEndian.Uint64(raw[8*i:])
	}
	if m.vocab, err = newVocabulary(keys); err != nil {
		return nil, err
	}
	if m.cat.emb.nrows() != m.vocab.rows() || m.sub.emb.nrows() != m.vocab.rows() {
		return nil, errors.New("weight matrices do not match the vocabulary")
	}
	if _, err := r.r.ReadByte(); err != io.EOF {
		return nil, errors.New("trailing data after the model")
	}
	m.sha256 = sum
	if sum == "" {
		m.sha256 = hex.EncodeToString(h.Sum(nil))
	}
	return m, nil
}
