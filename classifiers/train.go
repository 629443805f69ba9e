package classifiers

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ikawaha/kagome-dict/ipa"

	"github.com/hotline-jp/hotline/classifiers/lexicon"
	"github.com/hotline-jp/hotline/classifiers/textnorm"
	"github.com/hotline-jp/hotline/pkg/hotline"
)

// TrainOptions configure Train.
type TrainOptions struct {
	TrainPath string // labelled training data, JSON Lines (see Item)
	// DevPath is labelled development data. Train pools it with the
	// training data: the network's epochs are chosen, and the temperature
	// fitted, on out-of-fold predictions of a cross-validation over the
	// pool, and the model is then fitted on all of it.
	DevPath string
	OutPath string // where to write the model
	// Seed assigns the items to the cross-validation folds (by a hash of
	// the seed and each item's id) and seeds the networks' initial weights
	// and row orders. The same data, options and seed give a
	// byte-identical model.
	Seed int64
	// Folds is the number of cross-validation folds; 0 means 5.
	Folds int
	// Params fix the features; nil means DefaultFeatureParams.
	Params *FeatureParams
	// Net sets the networks' training; nil means DefaultNetParams.
	Net *NetParams
	// Lexicon replaces the embedded lexicon files.
	Lexicon fs.FS
	// ClassWeight weighs the examples of the category model: "balanced"
	// (every category counts as much), "sqrt" (by the inverse square root
	// of the category's size) or "none"; "" means DefaultClassWeight.
	ClassWeight string

	// OOFErrorsPath, if set, names a JSON Lines file to write the items
	// the cross-validation got wrong (out-of-fold, after the none offset
	// and the severe boost): errors to learn from without looking at the
	// test split.
	OOFErrorsPath string

	// MaxHardNegativeRate is the largest share of hard negatives the
	// out-of-fold predictions may flag when the none offset is chosen; 0
	// means DefaultMaxHardNegativeRate.
	MaxHardNegativeRate float64

	// Respell is the share of the items that get a respelt copy for
	// training (see augment.go); 0 means DefaultRespell, a negative value
	// none.
	Respell float64
}

// DefaultRespell is the default share of items given a respelt copy.
const DefaultRespell = 0.5

// DefaultMaxHardNegativeRate is the default bound on the share of hard
// negatives flagged out-of-fold: the hotline's reviewers must not drown in
// news, warnings and job ads.
const DefaultMaxHardNegativeRate = 0.05

// DefaultClassWeight is the category model's default example weighting.
const DefaultClassWeight = "sqrt"

// Train trains a model on the items of opts.TrainPath and opts.DevPath
// (see TrainOptions) and writes it to opts.OutPath, and its SHA-256 to
// opts.OutPath+".sha256" in the format of sha256sum (the embedded model's
// is read instead of hashing the model at every start). Progress goes to
// log. The same data and options give a byte-identical file.
func Train(ctx context.Context, opts TrainOptions, log io.Writer) error {
	if opts.TrainPath == "" || opts.DevPath == "" || opts.OutPath == "" {
		return errors.New("train: TrainPath, DevPath and OutPath are required")
	}
	trainItems, trainSum, err := readItemsHashed(opts.TrainPath)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	devItems, devSum, err := readItemsHashed(opts.DevPath)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	m, err := trainModel(ctx, opts, trainItems, devItems, log)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	m.info.Training.TrainSHA256 = trainSum
	m.info.Training.DevSHA256 = devSum
	b, err := m.encode()
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	sum := sha256.Sum256(b)
	if err := writeFileAtomic(opts.OutPath, b); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	line := fmt.Sprintf("%x  %s\n", sum, filepath.Base(opts.OutPath))
	if err := writeFileAtomic(opts.OutPath+".sha256", []byte(line)); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	fmt.Fprintf(log, "wrote %s (%d bytes, sha256 %x)\n", opts.OutPath, len(b), sum[:6])
	return nil
}

func readItemsHashed(path string) ([]Item, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	items, err := ReadItems(bytes.NewReader(b))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if len(items) == 0 {
		return nil, "", fmt.Errorf("%s: no items", path)
	}
	sum := sha256.Sum256(b)
	return items, hex.EncodeToString(sum[:]), nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// trainModel does the work of Train on items already read.
func trainModel(ctx context.Context, opts TrainOptions, trainItems, devItems []Item, log io.Writer) (*model, error) {
	params := DefaultFeatureParams()
	if opts.Params != nil {
		params = *opts.Params
	}
	np := DefaultNetParams()
	if opts.Net != nil {
		np = *opts.Net
	}
	if np.Hidden < 1 || np.MaxEpochs < 1 || !(np.Rate > 0) || !(np.Init > 0) || !(np.Smoothing >= 0 && np.Smoothing < 1) {
		return nil, fmt.Errorf("classifiers: network settings %+v: want at least one hidden unit and epoch, a positive rate and init, and smoothing in [0, 1)", np)
	}
	lb := newLabels()
	lex, err := newLexIndex(opts.Lexicon, lb)
	if err != nil {
		return nil, err
	}
	// The full dictionary, for base forms and readings.
	mo, err := newMorph(ipa.Dict())
	if err != nil {
		return nil, err
	}
	dc, err := newDictContents(mo)
	if err != nil {
		return nil, err
	}
	m := &model{info: ModelInfo{
		Format:        modelFormat,
		Params:        params,
		Temperature:   1,
		DictMorphs:    len(mo.dict.Morphs),
		LexiconSHA256: lex.sha256,
	}}
	for _, c := range lb.cats {
		m.info.Categories = append(m.info.Categories, string(c))
	}
	for _, s := range lb.subs {
		m.info.Subtypes = append(m.info.Subtypes, string(lb.cats[s.cat])+"/"+s.name)
	}
	if err := m.findSubRanges(); err != nil {
		return nil, err
	}
	m.derived = deriveEntries(dc, lex.lex)
	fmt.Fprintf(log, "derived lexicon: %d entries (readings, 当て字)\n", len(m.derived))
	if lex, err = lex.withDerived(m.derived, lb); err != nil {
		return nil, err
	}
	// The pool: the training items, then the development items; every
	// table and the cross-validation are built from all of it.
	all := slices.Concat(trainItems, devItems)
	respell := cmp.Or(opts.Respell, DefaultRespell)
	copies, origin := augmentItems(newRespeller(dc), all, opts.Seed, respell)
	fmt.Fprintf(log, "respelt copies: %d (share %g)\n", len(copies), max(respell, 0))
	m.lemmas = *dc.table(inflectedLemmas(mo, dc, slices.Concat(all, copies)))
	fmt.Fprintf(log, "lemma table: %d base forms, %d entries\n", len(m.lemmas.forms), len(m.lemmas.ids))
	if params.ReadScale > 0 {
		m.readings = *dc.readingTable(all)
		fmt.Fprintf(log, "reading table: %d readings, %d words\n", len(m.readings.forms), len(m.readings.ids))
	}

	// The rows: the items, then their respelt copies, each featurised
	// once. A copy is in its original's fold, so that no fold is judged by
	// a model that saw its items in another spelling; only the items are
	// judged.
	fc := &Classifier{labels: lb, lex: lex, morph: mo, model: m}
	rows := slices.Concat(all, copies)
	x := featurizeAll(fc, rows)
	folds := cmp.Or(opts.Folds, 5)
	fold := make([]int, len(rows))
	for i, it := range all {
		h := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s", opts.Seed, it.ID))
		fold[i] = int(binary.BigEndian.Uint32(h[:4]) % uint32(folds))
	}
	for j, o := range origin {
		fold[len(all)+j] = fold[o]
	}
	catY := make([]int, len(rows))
	subY := make([]int, len(rows))
	for i, it := range rows {
		catY[i] = lb.catIndex(it.Category)
		subY[i] = -1
		if it.Subcategory != "" {
			subY[i] = lb.subIndex[string(it.Category)+"/"+it.Subcategory]
		}
	}
	cw := cmp.Or(opts.ClassWeight, DefaultClassWeight)
	ti := &m.info.Training
	ti.TrainItems, ti.DevItems = len(trainItems), len(devItems)
	ti.Seed, ti.Folds, ti.ClassWeight = uint64(opts.Seed), folds, cw
	ti.Net = np
	ti.Respell, ti.RespeltItems = max(respell, 0), len(copies)

	// The category model: the network's epochs by out-of-fold macro-F1,
	// temperature by out-of-fold likelihood, then a fit on everything.
	v, err := buildVocabulary(x, params.MinCount)
	if err != nil {
		return nil, fmt.Errorf("classifiers: %w", err)
	}
	m.vocab = v
	toRow := func(h uint64) int {
		if r := int(v.row(h)); r < len(v.keys) {
			return r
		}
		return -1
	}
	fmt.Fprintf(log, "vocabulary: %d features in at least %d rows\n", len(v.keys), params.MinCount)
	cat := newDataset(x, catY, nCat, toRow)
	if err := cat.weigh(cw); err != nil {
		return nil, err
	}
	ti.Features = cat.nFeat
	fmt.Fprintf(log, "category model: %d items (%d train, %d dev), %d features, %d folds, %d hidden units\n", len(all), len(trainItems), len(devItems), cat.nFeat, folds, np.Hidden)
	perEpoch, err := cat.crossValidateNetwork(ctx, np, fold, folds, len(all), uint64(opts.Seed))
	if err != nil {
		return nil, err
	}
	var best struct {
		epochs int
		f1     float64
		oof    [][]float64
	}
	for e, oof := range perEpoch {
		pred := make([]int, len(oof))
		for i, z := range oof {
			pred[i] = argmax(z)
		}
		f1 := macroF1(pred, catY[:len(all)], nCat)
		fmt.Fprintf(log, "  %2d epochs: out-of-fold macro-F1 %.4f\n", e+1, f1)
		if best.oof == nil || f1 > best.f1+1e-9 {
			best.epochs, best.f1, best.oof = e+1, f1, oof
		}
	}
	ti.Epochs, ti.CVMacroF1 = best.epochs, best.f1

	// The sub-type model: a network of the same shape over every
	// sub-type, its epochs chosen by out-of-fold accuracy among the
	// sub-types of each item's own category (the classifier picks a
	// sub-type within the category it decided).
	nSub := len(lb.subs)
	sub := newDataset(x, subY, nSub, toRow)
	perEpoch, err = sub.crossValidateNetwork(ctx, np, fold, folds, len(all), uint64(opts.Seed)+uint64(folds))
	if err != nil {
		return nil, err
	}
	bestAcc := -1.0
	for e, oof := range perEpoch {
		right, n := 0, 0
		for i, z := range oof {
			if subY[i] < 0 {
				continue
			}
			r := m.subRange[lb.subs[subY[i]].cat]
			n++
			if r[0]+argmax(z[r[0]:r[1]]) == subY[i] {
				right++
			}
		}
		acc := float64(right) / float64(max(n, 1))
		fmt.Fprintf(log, "  sub-types, %2d epochs: out-of-fold accuracy %.4f\n", e+1, acc)
		if acc > bestAcc+1e-9 {
			bestAcc, ti.SubEpochs, ti.CVSubtypeAccuracy = acc, e+1, acc
		}
	}
	// The sub-type network's say in the category: the weight whose
	// out-of-fold macro-F1 (at the best none offset) is highest.
	subOOF := perEpoch[ti.SubEpochs-1]
	hard := make([]bool, len(all))
	for i, it := range all {
		hard[i] = it.HardNegative
	}
	maxHard := opts.MaxHardNegativeRate
	if maxHard == 0 {
		maxHard = DefaultMaxHardNegativeRate
	}
	ti.MaxHardNegativeRate = maxHard
	bestF1 := -1.0
	zs := make([][]float64, len(best.oof))
	for _, w := range []float64{0, 0.25, 0.5, 0.75, 1, 1.5} {
		for i, z := range best.oof {
			zs[i] = append(zs[i][:0], z...)
			addSubtypeSay(zs[i], subOOF[i], &m.subRange, w)
		}
		off, f1, rate := noneOffset(zs, catY[:len(all)], hard, maxHard)
		fmt.Fprintf(log, "  sub-type say %.2f: out-of-fold macro-F1 %.4f (none offset %+.2f, hard negatives flagged %.3f)\n", w, f1, off, rate)
		if f1 > bestF1+1e-9 {
			bestF1, m.info.SubWeight = f1, w
		}
	}
	for i := range best.oof {
		addSubtypeSay(best.oof[i], subOOF[i], &m.subRange, m.info.SubWeight)
	}
	// The prior: shift the none logit by the offset that gives the best
	// out-of-fold macro-F1 while flagging at most the allowed share of
	// hard negatives, then calibrate.
	ti.NoneOffset, ti.CVMacroF1, ti.CVHardNegativeRate = noneOffset(best.oof, catY[:len(all)], hard, maxHard)
	for _, z := range best.oof {
		z[catNone] += ti.NoneOffset
	}
	fmt.Fprintf(log, "  none offset %+.2f: out-of-fold macro-F1 %.4f, hard negatives flagged %.3f\n", ti.NoneOffset, ti.CVMacroF1, ti.CVHardNegativeRate)
	var recall float64
	ti.SevereBoost, ti.CVMacroF1, ti.CVHardNegativeRate, recall = severeBoost(best.oof, catY[:len(all)], hard, maxHard, ti.CVMacroF1)
	for _, z := range best.oof {
		z[catCritical] += ti.SevereBoost
		z[catSuicide] += ti.SevereBoost
	}
	fmt.Fprintf(log, "  severe boost %+.2f: out-of-fold macro-F1 %.4f, hard negatives flagged %.3f, recall of critical_crime and suicide_inducement %.4f\n", ti.SevereBoost, ti.CVMacroF1, ti.CVHardNegativeRate, recall)
	if opts.OOFErrorsPath != "" {
		if err := writeOOFErrors(opts.OOFErrorsPath, all, best.oof, catY[:len(all)], lb); err != nil {
			return nil, err
		}
	}
	m.info.Temperature, ti.CVNLL = calibrate(best.oof, catY[:len(all)])
	net, err := cat.trainNetwork(ctx, np, best.epochs, cat.c, uint64(opts.Seed), nil)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "  chose %d epochs; temperature %.4f (out-of-fold NLL %.4f)\n", best.epochs, m.info.Temperature, ti.CVNLL)
	m.info.Hidden = np.Hidden
	m.cat = cat.netModel(net, v.rows())
	m.cat.bias[catNone] += float32(ti.NoneOffset)
	m.cat.bias[catCritical] += float32(ti.SevereBoost)
	m.cat.bias[catSuicide] += float32(ti.SevereBoost)

	// Every fit draws from its own seed: the category network's from seed,
	// its folds' from seed+1 to seed+folds, the sub-type folds' from
	// seed+folds+1 to seed+2·folds, and this one from the next.
	subNet, err := sub.trainNetwork(ctx, np, ti.SubEpochs, sub.c, uint64(opts.Seed)+2*uint64(folds)+1, nil)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "sub-type model: %d features; chose %d epochs\n", sub.nFeat, ti.SubEpochs)
	m.sub = sub.netModel(subNet, v.rows())
	return m, nil
}

// inflectedLemmas returns the base forms of the inflected words in items.
func inflectedLemmas(mo *morph, dc *dictContents, items []Item) map[string]bool {
	keep := map[string]bool{}
	a := &analysis{}
	for _, it := range items {
		a.tokenizeText(mo, it.Text)
		for _, t := range a.toks {
			if t.id >= 0 && (t.pos == posVerb || t.pos == posAdj || t.pos == posAux) {
				if f, ok := dc.of(t.id); ok {
					keep[f] = true
				}
			}
		}
	}
	return keep
}

// deriveEntries derives, from the lexicon's terms written with kanji, their
// kana readings (for texts spelt in kana: いっしょにしにませんか), and from
// terms with 死 the 当て字 タヒ and 4 (and 氏ね for 死ね). A reading must be at
// least four kana, or three for a term of weight 2 or more, so that it
// does not turn up inside ordinary words; it weighs 0.9 of its term.
func deriveEntries(dc *dictContents, lex *lexicon.Lexicon) []DerivedEntry {
	var out []DerivedEntry
	for _, e := range lex.Entries() {
		add := func(key string, w float64) {
			if utf8.RuneCountInString(key) >= 2 && key != e.Key {
				w = math.Max(lexicon.MinWeight, math.Round(w*100)/100)
				out = append(out, DerivedEntry{Category: e.Category, Subcategory: e.Subcategory, Key: key, Term: e.Term, Weight: w})
			}
		}
		if r, ok := dc.reading(textnorm.Normalize(e.Term).Norm); ok {
			key := textnorm.Key(r)
			if n := utf8.RuneCountInString(key); n >= 4 || n == 3 && e.Weight >= 2 {
				add(key, 0.9*e.Weight)
			}
		}
		if strings.Contains(e.Key, "死") {
			add(strings.ReplaceAll(e.Key, "死", textnorm.Key("タヒ")), e.Weight)
			add(strings.ReplaceAll(e.Key, "死", "4"), e.Weight)
			if strings.Contains(e.Key, "死ね") {
				add(strings.ReplaceAll(e.Key, "死ね", "氏ね"), e.Weight)
			}
		}
	}
	slices.SortFunc(out, func(a, b DerivedEntry) int {
		return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Subcategory, b.Subcategory), cmp.Compare(b.Weight, a.Weight))
	})
	return out
}

// sparseFeature is one feature of one item: its hash and signed value.
type sparseFeature struct {
	h uint64
	v float64
}

// featurizeAll computes the features of every item (in parallel, in
// order).
func featurizeAll(c *Classifier, items []Item) [][]sparseFeature {
	out := make([][]sparseFeature, len(items))
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			a := &analysis{}
			for i := w; i < len(items); i += workers {
				c.features(a, items[i].Text)
				fs := make([]sparseFeature, len(a.feats))
				for j, f := range a.feats {
					fs[j] = sparseFeature{f.h, float64(f.v)}
				}
				out[i] = fs
			}
		})
	}
	wg.Wait()
	return out
}

// dataset is a design matrix in compressed rows, over the dense indices of
// the vocabulary rows seen in its rows.
type dataset struct {
	k     int           // classes
	nFeat int           // dense features
	vrow  []int         // dense index -> vocabulary row
	dense map[int]int32 // vocabulary row -> dense index
	toB   func(uint64) int
	off   []int // row i is idx/val[off[i]:off[i+1]]
	idx   []int32
	val   []float64
	y     []int     // class, or -1 for no label (skipped)
	c     []float64 // example weights
}

// newDataset builds the training matrix; the vocabulary rows toB gives
// (-1: none) get dense indices in order of first appearance.
func newDataset(x [][]sparseFeature, y []int, k int, toB func(uint64) int) *dataset {
	d := &dataset{k: k, dense: map[int]int32{}, toB: toB, y: y, off: []int{0}}
	for _, row := range x {
		for _, f := range row {
			b := toB(f.h)
			if b < 0 {
				continue // not in the vocabulary
			}
			j, ok := d.dense[b]
			if !ok {
				j = int32(len(d.vrow))
				d.dense[b] = j
				d.vrow = append(d.vrow, b)
			}
			d.idx = append(d.idx, j)
			d.val = append(d.val, f.v)
		}
		d.off = append(d.off, len(d.idx))
	}
	d.nFeat = len(d.vrow)
	d.c = make([]float64, len(y))
	for i, c := range y {
		if c >= 0 {
			d.c[i] = 1
		}
	}
	return d
}

// weigh sets the example weights: "balanced" weighs each example by
// n / (k · n_class), so that every class counts as much in the loss;
// "sqrt" by sqrt(n / (k · n_class)); "none" by 1.
func (d *dataset) weigh(how string) error {
	count := make([]int, d.k)
	n := 0
	for _, c := range d.y {
		if c >= 0 {
			count[c]++
			n++
		}
	}
	for i, c := range d.y {
		if c < 0 {
			continue
		}
		b := float64(n) / float64(d.k*count[c])
		switch how {
		case "balanced":
			d.c[i] = b
		case "sqrt":
			d.c[i] = math.Sqrt(b)
		case "none":
			d.c[i] = 1
		default:
			return fmt.Errorf("unknown class weighting %q", how)
		}
	}
	return nil
}

func argmax[T float32 | float64](z []T) int {
	best := 0
	for c := range z {
		if z[c] > z[best] {
			best = c
		}
	}
	return best
}

// noneOffset returns the shift of the none logit, in steps of 0.1 within
// ±2, that maximises the macro-F1 of logits zs against labels y among the
// shifts that flag at most maxHard of the hard negatives (the smallest
// such shift among equals; if no shift is within the bound, the one that
// flags fewest), with its macro-F1 and its rate of flagged hard negatives.
func noneOffset(zs [][]float64, y []int, hard []bool, maxHard float64) (off, f1, hardRate float64) {
	nHard := 0
	for _, h := range hard {
		if h {
			nHard++
		}
	}
	f1 = -1
	bestRate := math.Inf(1)
	pred := make([]int, len(zs))
	z := make([]float64, nCat)
	for step := 0; step <= 40; step++ {
		// 0, +0.1, -0.1, +0.2, ...: the smaller shift wins ties.
		o := float64((step+1)/2) / 10
		if step%2 == 0 {
			o = -o
		}
		flagged := 0
		for i, zi := range zs {
			copy(z, zi)
			z[catNone] += o
			pred[i] = argmax(z)
			if hard[i] && pred[i] != catNone {
				flagged++
			}
		}
		rate := float64(flagged) / float64(max(nHard, 1))
		f := macroF1(pred, y, nCat)
		switch {
		case rate <= maxHard && (f1 < 0 || bestRate > maxHard || f > f1+1e-9):
			off, f1, bestRate = o, f, rate
		case bestRate > maxHard && rate < bestRate:
			off, f1, bestRate = o, f, rate
		}
	}
	return off, f1, bestRate
}

// writeOOFErrors writes the items whose out-of-fold prediction (logits
// zs) is not their label, one JSON object a line, in item order.
func writeOOFErrors(path string, items []Item, zs [][]float64, y []int, lb *labels) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for i, z := range zs {
		if p := argmax(z); p != y[i] {
			e := struct {
				ID        string           `json:"id"`
				Text      string           `json:"text"`
				Category  hotline.Category `json:"category"`
				Sub       string           `json:"subcategory,omitempty"`
				Predicted hotline.Category `json:"predicted"`
			}{items[i].ID, items[i].Text, items[i].Category, items[i].Subcategory, lb.cats[p]}
			if err := enc.Encode(e); err != nil {
				return fmt.Errorf("out-of-fold errors: %w", err)
			}
		}
	}
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("out-of-fold errors: %w", err)
	}
	return nil
}

// severeMacroF1Loss is the most out-of-fold macro-F1 that severeBoost may
// give up for recall of the severe categories.
const severeMacroF1Loss = 0.003

// severeBoost returns the shift, in steps of 0.1 up to 1.5, of the
// critical_crime and suicide_inducement logits that maximises their pooled
// recall over logits zs (labels y) while flagging at most maxHard of the
// hard negatives (or no more than with no shift) and keeping macro-F1
// within severeMacroF1Loss of f1 (the smallest such shift among equals),
// with its macro-F1, its rate of flagged hard negatives and the recall.
func severeBoost(zs [][]float64, y []int, hard []bool, maxHard, f1 float64) (boost, bestF1, hardRate, recall float64) {
	nHard, nSevere := 0, 0
	for i, h := range hard {
		if h {
			nHard++
		}
		if y[i] == catCritical || y[i] == catSuicide {
			nSevere++
		}
	}
	pred := make([]int, len(zs))
	z := make([]float64, nCat)
	bestRecall := -1.0
	var bound float64
	for step := 0; step <= 15; step++ {
		b := float64(step) / 10
		flagged, found := 0, 0
		for i, zi := range zs {
			copy(z, zi)
			z[catCritical] += b
			z[catSuicide] += b
			pred[i] = argmax(z)
			if hard[i] && pred[i] != catNone {
				flagged++
			}
			if (y[i] == catCritical || y[i] == catSuicide) && pred[i] == y[i] {
				found++
			}
		}
		rate := float64(flagged) / float64(max(nHard, 1))
		rec := float64(found) / float64(max(nSevere, 1))
		f := macroF1(pred, y, nCat)
		if step == 0 {
			bound = max(maxHard, rate)
			boost, bestF1, hardRate, recall, bestRecall = 0, f, rate, rec, rec
			continue
		}
		if rate <= bound && f >= f1-severeMacroF1Loss && rec > bestRecall+1e-9 {
			boost, bestF1, hardRate, recall, bestRecall = b, f, rate, rec, rec
		}
	}
	return boost, bestF1, hardRate, recall
}

// calibrate finds the temperature that minimises the negative
// log-likelihood of logits zs against labels y (golden-section search on
// log T) and returns it with that NLL.
func calibrate(zs [][]float64, y []int) (float64, float64) {
	nll := func(t float64) float64 {
		s, n := 0.0, 0
		for i, z := range zs {
			if y[i] < 0 {
				continue
			}
			mx := slices.Max(z)
			sum := 0.0
			for _, v := range z {
				sum += math.Exp((v - mx) / t)
			}
			s += math.Log(sum) - (z[y[i]]-mx)/t
			n++
		}
		return s / float64(max(n, 1))
	}
	lo, hi := math.Log(0.05), math.Log(20)
	phi := (math.Sqrt(5) - 1) / 2
	a, b := hi-phi*(hi-lo), lo+phi*(hi-lo)
	fa, fb := nll(math.Exp(a)), nll(math.Exp(b))
	for range 60 {
		if fa < fb {
			hi, b, fb = b, a, fa
			a = hi - phi*(hi-lo)
			fa = nll(math.Exp(a))
		} else {
			lo, a, fa = a, b, fb
			b = lo + phi*(hi-lo)
			fb = nll(math.Exp(b))
		}
	}
	t := math.Exp((lo + hi) / 2)
	t = math.Round(t*1e4) / 1e4
	return t, nll(t)
}

// macroF1 is the mean F1 over k classes.
func macroF1(pred, gold []int, k int) float64 {
	tp := make([]int, k)
	np := make([]int, k)
	ng := make([]int, k)
	for i := range gold {
		if gold[i] < 0 {
			continue
		}
		np[pred[i]]++
		ng[gold[i]]++
		if pred[i] == gold[i] {
			tp[gold[i]]++
		}
	}
	sum := 0.0
	for c := range k {
		if tp[c] == 0 {
			continue
		}
		p := float64(tp[c]) / float64(np[c])
		r := float64(tp[c]) / float64(ng[c])
		sum += 2 * p * r / (p + r)
	}
	return sum / float64(k)
}
