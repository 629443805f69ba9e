package classifiers

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ikawaha/kagome-dict/ipa"

	"github.com/hotline-jp/hotline/classifiers/internal/dictpack"
	"github.com/hotline-jp/hotline/classifiers/lexicon"
)

func embeddedModelBytes(t testing.TB) []byte {
	t.Helper()
	b, err := modelFS.ReadFile(embeddedModelPath)
	if err != nil {
		t.Skipf("no embedded model: %v", err)
	}
	return b
}

func decodeModel(file []byte) (*model, error) { return readModel(bytes.NewReader(file), "") }

func TestModelRoundTrip(t *testing.T) {
	b := embeddedModelBytes(t)
	m, err := decodeModel(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Error("decoding and encoding the model changes its bytes")
	}
}

func TestDecodeModelErrors(t *testing.T) {
	raw := embeddedModelBytes(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	for name, in := range map[string][]byte{
		"empty":       nil,
		"not a model": []byte("hello"),
		"bad magic":   []byte("HOTLINE-CLASSIFIEX\x00"),
		"truncated":   raw[:len(raw)/2],
		"trailing":    append(slices.Clip(raw), 0),
		"header only": raw[:len(modelMagic)+4],
		"gzip":        gz.Bytes(),
	} {
		if _, err := decodeModel(in); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func FuzzDecodeModel(f *testing.F) {
	f.Add([]byte{})
	if b, err := modelFS.ReadFile(embeddedModelPath); err == nil {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeModel(b)
		if err == nil && m == nil {
			t.Fatal("nil model without error")
		}
	})
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// The embedded model was trained on the current split with the current
// lexicons: after changing either, run go generate ./classifiers.
// TestEmbeddedModelSum checks the embedded model's SHA-256 file, which
// the classifier takes the model's version from instead of hashing it.
func TestEmbeddedModelSum(t *testing.T) {
	file := embeddedModelBytes(t)
	sum := sha256.Sum256(file)
	want := hex.EncodeToString(sum[:]) + "  model.bin\n"
	got, err := modelFS.ReadFile(embeddedModelSumPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is %q, want %q: run go generate ./classifiers", embeddedModelSumPath, got, want)
	}
	m, err := embeddedModel()
	if err != nil {
		t.Fatal(err)
	}
	if m.sha256 != hex.EncodeToString(sum[:]) {
		t.Errorf("embedded model's version %s, want %x", m.sha256, sum)
	}
}

func TestEmbeddedModelCurrent(t *testing.T) {
	m, err := decodeModel(embeddedModelBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	info := m.info
	if got := fileSHA256(t, filepath.Join(corpusDir, "train.jsonl")); got != info.Training.TrainSHA256 {
		t.Errorf("train.jsonl has changed since the model was trained (%.12s, model %.12s): run go generate ./classifiers", got, info.Training.TrainSHA256)
	}
	if got := fileSHA256(t, filepath.Join(corpusDir, "dev.jsonl")); got != info.Training.DevSHA256 {
		t.Errorf("dev.jsonl has changed since the model was trained: run go generate ./classifiers")
	}
	lex, err := lexiconHash(lexicon.Default())
	if err != nil {
		t.Fatal(err)
	}
	if lex != info.LexiconSHA256 {
		t.Errorf("the lexicons have changed since the model was trained: run go generate ./classifiers")
	}
	t.Logf("model %.12s: %d+%d items, %d hidden units, %d epochs, temperature %.3f, none offset %+.2f, cross-validated macro-F1 %.4f, %d features",
		m.sha256, info.Training.TrainItems, info.Training.DevItems, info.Hidden, info.Training.Epochs, info.Temperature,
		info.Training.NoneOffset, info.Training.CVMacroF1, info.Training.Features)
}

// TestEmbeddedDictCurrent checks that the embedded dictionary pack holds
// the IPA dictionary of the kagome-dict version in go.mod.
func TestEmbeddedDictCurrent(t *testing.T) {
	b, err := modelFS.ReadFile(embeddedDictPath)
	if err != nil {
		t.Fatalf("no embedded dictionary pack: run go generate ./classifiers (%v)", err)
	}
	got, err := dictpack.Decode(b)
	if err != nil {
		t.Fatalf("%s: %v: run go generate ./classifiers", embeddedDictPath, err)
	}
	if diff := dictpack.Diff(got, ipa.DictShrink()); diff != nil {
		t.Errorf("%s differs from kagome's IPA dictionary in the %s: run go generate ./classifiers", embeddedDictPath, strings.Join(diff, ", "))
	}
}

func TestLemmaTable(t *testing.T) {
	c := newClassifier(t, Options{})
	if c.model == nil {
		t.Skip("no embedded model")
	}
	// 死に, 死な, 死ね: one lemma 死ぬ, without the dictionary's contents.
	var lemmas []string
	for _, tk := range c.morph.tokenize(nil, "一緒に死にませんか死なない死ねば", 0, &c.model.lemmas) {
		if tk.pos == posVerb {
			lemmas = append(lemmas, tk.lemma)
		}
	}
	for _, l := range lemmas {
		if l != "死ぬ" {
			t.Errorf("verb lemmas %q, want 死ぬ", lemmas)
			break
		}
	}
	if len(lemmas) < 3 {
		t.Errorf("verb lemmas %q", lemmas)
	}
}

// TestLemmaTableLookup checks the rank index against the ids it indexes:
// every id finds its own form, across word edges, and no other id finds
// one; the embedded model's tables, as decoded, agree with their ids.
func TestLemmaTableLookup(t *testing.T) {
	tb := &lemmaTable{
		ids:    []int32{0, 5, 63, 64, 65, 200, 1000},
		lemmas: []uint32{0, 1, 2, 0, 1, 2, 1},
		forms:  []string{"a", "b", "c"},
	}
	tb.index()
	want := map[int32]string{}
	for i, id := range tb.ids {
		want[id] = tb.forms[tb.lemmas[i]]
	}
	for id := int32(-2); id < 1100; id++ {
		got, ok := tb.lookup(id)
		if w, in := want[id]; ok != in || got != w {
			t.Errorf("lookup(%d) = %q, %v; want %q, %v", id, got, ok, w, in)
		}
	}
	if _, ok := (&lemmaTable{}).lookup(3); ok {
		t.Error("an empty table found an id")
	}

	m, err := decodeModel(embeddedModelBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, tb := range map[string]*lemmaTable{"lemma": &m.lemmas, "reading": &m.readings} {
		if len(tb.ids) == 0 {
			t.Fatalf("the embedded model has no %s table", name)
		}
		for i, id := range tb.ids {
			if got, ok := tb.lookup(id); !ok || got != tb.forms[tb.lemmas[i]] {
				t.Fatalf("%s table: lookup(%d) = %q, %v; want %q", name, id, got, ok, tb.forms[tb.lemmas[i]])
			}
			if i > 0 && tb.ids[i-1] < id-1 {
				if _, ok := tb.lookup(id - 1); ok {
					t.Fatalf("%s table: lookup(%d) found an id not in the table", name, id-1)
				}
			}
		}
	}
}

// TestReadingFeatures checks that a text and its respellings in hiragana
// and in katakana share their reading trigrams, and that a trigram is
// named by the words it was read from.
func TestReadingFeatures(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the full IPA dictionary")
	}
	dc := testDictContents(t)
	mo := dc.m
	lb := newLabels()
	lex, err := newLexIndex(nil, lb)
	if err != nil {
		t.Fatal(err)
	}
	const text = "一緒に自殺しよう。闇バイト募集"
	m := &model{info: ModelInfo{Params: DefaultFeatureParams()}}
	m.readings = *dc.readingTable([]Item{{Text: text}})
	if len(m.readings.ids) == 0 {
		t.Fatal("empty reading table")
	}
	c := &Classifier{labels: lb, lex: lex, morph: mo, model: m}
	trigrams := func(s string) (map[uint64]string, []string) {
		a := &analysis{}
		c.features(a, s)
		hs := map[uint64]string{}
		var names []string
		for _, f := range a.feats {
			if f.kind == fRead3 {
				hs[f.h] = f.a
				names = append(names, f.a)
			}
		}
		return hs, names
	}
	want, names := trigrams(text)
	if len(want) == 0 {
		t.Fatal("no reading trigrams")
	}
	t.Logf("reading trigrams of %s: %q", text, names)
	if !slices.Contains(names, "自殺") || !slices.Contains(names, "闇バイト") && !slices.Contains(names, "闇ばいと") {
		t.Errorf("trigram names %q, want 自殺 and 闇バイト among them", names)
	}
	for _, respelt := range []string{"いっしょにじさつしよう。やみばいとぼしゅう", "イッショニジサツシヨウ。ヤミバイトボシュウ", "ｲｯｼｮﾆｼﾞｻﾂｼﾖｳ。ﾔﾐﾊﾞｲﾄﾎﾞｼｭｳ"} {
		got, _ := trigrams(respelt)
		for h := range want {
			if _, ok := got[h]; !ok {
				t.Errorf("%s: no reading trigram %q of the original", respelt, want[h])
			}
		}
	}
	// A model without reading features reads as before.
	m.info.Params.ReadScale = 0
	if got, _ := trigrams(text); len(got) != 0 {
		t.Errorf("ReadScale 0: %d reading trigrams", len(got))
	}
}

// TestAddSubtypeSay checks that with weight 1 and no say of its own the
// category softmax is the sub-type network's probability of each category,
// the sum of its sub-types' probabilities, and that weight 0 changes
// nothing.
func TestAddSubtypeSay(t *testing.T) {
	ranges := [nCat][2]int{{0, 2}, {2, 3}, {3, 6}, {6, 7}, {7, 9}}
	sub := []float32{1.5, -0.5, 3, 0.25, 0.5, -2, 4, 0, 1}
	var p [9]float64
	var sum float64
	for k, v := range sub {
		p[k] = math.Exp(float64(v))
		sum += p[k]
	}
	var z, got [nCat]float64
	addSubtypeSay(z[:], sub, &ranges, 1)
	softmax(z[:], got[:], 1)
	for c, r := range ranges {
		var want float64
		for k := r[0]; k < r[1]; k++ {
			want += p[k] / sum
		}
		if math.Abs(got[c]-want) > 1e-6 {
			t.Errorf("category %d: probability %.6f, want %.6f", c, got[c], want)
		}
	}
	z = [nCat]float64{0.5, -1, 2, 0, 1}
	before := z
	addSubtypeSay(z[:], sub, &ranges, 0)
	if z != before {
		t.Errorf("weight 0 changed the logits %v to %v", before, z)
	}
}
