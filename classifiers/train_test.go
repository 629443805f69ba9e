package classifiers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

func TestNoneOffsetAndCalibrate(t *testing.T) {
	// Positives slightly under-scored: a negative none offset helps.
	var zs [][]float64
	var y []int
	var hard []bool
	for i := range 100 {
		z := make([]float64, nCat)
		c := i % nCat
		z[c] = 1
		if c != catNone {
			z[catNone] = 1.3 // wrongly stronger
		}
		zs = append(zs, z)
		y = append(y, c)
		hard = append(hard, c == catNone)
	}
	off, f1, rate := noneOffset(zs, y, hard, 0.05)
	if off > -0.3 || f1 < 0.99 || rate != 0 {
		t.Errorf("offset %v, macro-F1 %v, hard negatives %v", off, f1, rate)
	}
	// A hard negative scored like a positive bounds the shift.
	zs = append(zs, []float64{1.2, 0, 0, 0, 1})
	y = append(y, catNone)
	hard = append(hard, true)
	if off, _, rate := noneOffset(zs, y, hard, 0.01); off < -0.2 || rate > 0.01 {
		t.Errorf("bounded: offset %v, hard negatives %v", off, rate)
	}
	// Overconfident logits get a temperature above 1.
	zs, y = nil, nil
	for i := range 200 {
		z := make([]float64, nCat)
		z[i%nCat] = 8
		label := i % nCat
		if i%4 == 0 {
			label = (label + 1) % nCat // a quarter wrong
		}
		zs = append(zs, z)
		y = append(y, label)
	}
	if temp, _ := calibrate(zs, y); temp <= 1 {
		t.Errorf("temperature %v for overconfident logits", temp)
	}
}

func TestSevereBoost(t *testing.T) {
	// Suicide inducement slightly under-scored against none; a hard
	// negative sits a little below the severe items.
	var zs [][]float64
	var y []int
	var hard []bool
	add := func(z []float64, label int, h bool) {
		zs = append(zs, z)
		y = append(y, label)
		hard = append(hard, h)
	}
	for range 20 {
		add([]float64{0, 0, 1, 0, 1.2}, catSuicide, false)
		add([]float64{0, 1, 0, 0, 0}, catCritical, false)
		add([]float64{1, 0, 0, 0, 0}, catIllegal, false)
		add([]float64{0, 0, 0, 1, 0}, catRecruitment, false)
		add([]float64{0, 0, 0, 0, 1}, catNone, false)
	}
	add([]float64{0, 0, 1, 0, 1.7}, catNone, true)
	f1 := macroF1(func() []int {
		p := make([]int, len(zs))
		for i, z := range zs {
			p[i] = argmax(z)
		}
		return p
	}(), y, nCat)
	b, f, rate, recall := severeBoost(zs, y, hard, 0.05, f1)
	if b < 0.2 || b > 0.6 || recall != 1 || rate != 0 || f <= f1 {
		t.Errorf("boost %v, macro-F1 %v (from %v), hard negatives %v, recall %v", b, f, f1, rate, recall)
	}
	// With the hard negative in reach the boost stops below it.
	if b, _, rate, _ := severeBoost(zs, y, hard, 0, f1); b > 0.6 || rate != 0 {
		t.Errorf("bounded: boost %v, hard negatives %v", b, rate)
	}
}

// smallCorpus writes a small stratified slice of the corpus, for training
// tests that must stay fast.
func smallCorpus(t *testing.T) (train, dev string) {
	t.Helper()
	items, err := ReadCorpusDir(filepath.Join(corpusDir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	var pick []Item
	for i, it := range items {
		if i%24 == 0 {
			pick = append(pick, it)
		}
	}
	sp, err := SplitItems(pick, 0.25, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, items []Item) string {
		var b bytes.Buffer
		if err := WriteItems(&b, items); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("train.jsonl", sp.Train), write("dev.jsonl", sp.Dev)
}

// Training is reproducible: the same data and options give the same bytes.
func TestTrainReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the full IPA dictionary and trains")
	}
	train, dev := smallCorpus(t)
	dir := t.TempDir()
	// Two trainings at once: they share nothing but the read-only
	// dictionary, and must not influence each other.
	names := []string{"a.bin", "b.bin"}
	models := make([][]byte, len(names))
	logs := make([]strings.Builder, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		opts := TrainOptions{TrainPath: train, DevPath: dev, OutPath: filepath.Join(dir, name), Seed: 7, Folds: 2,
			Net:           &NetParams{Hidden: 8, MaxEpochs: 2, Rate: 0.05, Init: 0.01},
			OOFErrorsPath: filepath.Join(dir, name+".errors.jsonl")}
		wg.Go(func() {
			if errs[i] = Train(context.Background(), opts, &logs[i]); errs[i] == nil {
				models[i], errs[i] = os.ReadFile(opts.OutPath)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("training log:\n%s", logs[0].String())
	if !bytes.Equal(models[0], models[1]) {
		t.Fatal("two trainings on the same data gave different models")
	}
	// Beside the model, its SHA-256 as sha256sum writes it.
	sumLine, err := os.ReadFile(filepath.Join(dir, "a.bin.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%x  a.bin\n", sha256.Sum256(models[0])); string(sumLine) != want {
		t.Errorf("a.bin.sha256 is %q, want %q", sumLine, want)
	}
	// The out-of-fold errors are items of the data, each misclassified.
	errs0, err := os.ReadFile(filepath.Join(dir, "a.bin.errors.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(errs0)), "\n")
	for _, l := range lines {
		var e struct {
			ID, Text            string
			Category, Predicted hotline.Category
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.ID == "" || e.Text == "" || e.Category == e.Predicted || !e.Predicted.Valid() {
			t.Errorf("out-of-fold error line %q: %v", l, err)
		}
	}
	t.Logf("%d out-of-fold errors", len(lines))
	// The model loads, records its data and classifies.
	c, err := New(Options{ModelPath: filepath.Join(dir, "a.bin")})
	if err != nil {
		t.Fatal(err)
	}
	info := c.model.info
	if info.Training.TrainSHA256 != fileSHA256(t, train) || info.Training.DevSHA256 != fileSHA256(t, dev) || info.Training.Seed != 7 {
		t.Errorf("training info %+v", info.Training)
	}
	if got := c.Classify("受け子募集。即日即金。詳細はテレグラムで"); !got.Category.Valid() || len(got.Scores) != 5 {
		t.Errorf("classification %+v", got)
	}
}

func TestTrainErrors(t *testing.T) {
	ctx := context.Background()
	if err := Train(ctx, TrainOptions{}, io.Discard); err == nil {
		t.Error("no paths accepted")
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"a","text":"x","category":"spam"}`+"\n"), 0o644)
	err := Train(ctx, TrainOptions{TrainPath: bad, DevPath: bad, OutPath: filepath.Join(dir, "m.bin")}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.bin")); err == nil {
		t.Error("a failed training wrote a model")
	}
	missing := filepath.Join(dir, "missing.jsonl")
	if err := Train(ctx, TrainOptions{TrainPath: missing, DevPath: missing, OutPath: filepath.Join(dir, "m.bin")}, io.Discard); err == nil {
		t.Error("missing data accepted")
	}
}
