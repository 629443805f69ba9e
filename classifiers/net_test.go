package classifiers

import (
	"context"
	"math"
	"slices"
	"testing"
)

// TestNetworkLearnsInteraction trains the category network on a problem
// no linear model can fit: two features that each mean class 1 alone and
// class 0 together (exclusive or), as a code word means an offer alone
// and a warning beside 注意.
func TestNetworkLearnsInteraction(t *testing.T) {
	// Rows: a only, b only, a and b, neither (a bias-only feature c), each
	// many times.
	patterns := []struct {
		feats []int32
		y     int
	}{{[]int32{0, 2}, 1}, {[]int32{1, 2}, 1}, {[]int32{0, 1, 2}, 0}, {[]int32{2}, 0}}
	d := &dataset{k: 2, nFeat: 3, off: []int{0}}
	for range 50 {
		for _, p := range patterns {
			for _, f := range p.feats {
				d.idx = append(d.idx, f)
				d.val = append(d.val, 1)
			}
			d.off = append(d.off, len(d.idx))
			d.y = append(d.y, p.y)
			d.c = append(d.c, 1)
		}
	}
	p := NetParams{Hidden: 8, MaxEpochs: 30, Rate: 0.1, Init: 0.5}
	n, err := d.trainNetwork(context.Background(), p, p.MaxEpochs, d.c, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	hid, z := make([]float32, p.Hidden), make([]float32, 2)
	for i, pat := range patterns {
		n.forward(d, i, hid, z)
		if got := argmax([]float64{float64(z[0]), float64(z[1])}); got != pat.y {
			t.Errorf("features %v: class %d (logits %v), want %d", pat.feats, got, z, pat.y)
		}
	}
}

// TestLabelSmoothing trains on rows that always say their class: without
// smoothing the network grows ever surer of it; with smoothing s it aims at
// 1-s+s/k, as the targets ask.
func TestLabelSmoothing(t *testing.T) {
	const k = 4
	d := &dataset{k: k, nFeat: k, off: []int{0}}
	for range 100 {
		for c := range k {
			d.idx = append(d.idx, int32(c))
			d.val = append(d.val, 1)
			d.off = append(d.off, len(d.idx))
			d.y = append(d.y, c)
			d.c = append(d.c, 1)
		}
	}
	for _, s := range []float64{0, 0.1, 0.3} {
		p := NetParams{Hidden: 8, MaxEpochs: 40, Rate: 0.1, Init: 0.5, Smoothing: s}
		n, err := d.trainNetwork(context.Background(), p, p.MaxEpochs, d.c, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		hid, z := make([]float32, p.Hidden), make([]float32, k)
		for c := range k {
			n.forward(d, c, hid, z)
			zs := make([]float64, k)
			for j, v := range z {
				zs[j] = float64(v)
			}
			pr := make([]float64, k)
			softmax(zs, pr, 1)
			got := pr[c]
			if s == 0 {
				if got < 0.99 {
					t.Errorf("smoothing 0, class %d: probability %.4f, want > 0.99", c, got)
				}
				continue
			}
			if want := 1 - s + s/k; math.Abs(got-want) > 0.02 {
				t.Errorf("smoothing %g, class %d: probability %.4f, want %.4f", s, c, got, want)
			}
		}
	}
}

// evidenceTexts are a text of each positive category and a warning.
var evidenceTexts = []string{
	"即日即金の高額バイト、受け子募集。詳細はテレグラムで",
	"一緒に死んでくれる人を募集しています。来週の土曜日に決行します",
	"大麻あります。手渡しOK、DMください",
	"元交際相手を痛めつけてくれる人を探しています。報酬は50万円",
	"闇バイトに応募しないでください。困ったら警察相談専用電話へ",
}

// margin returns the logit of category cat less the mean logit.
func margin(a *analysis, cat int) float64 {
	var mean float64
	for _, z := range a.z {
		mean += z
	}
	return a.z[cat] - mean/nCat
}

// TestFeatureEvidenceMatters checks that the model feature listed first in
// a classification's evidence carries it: classified without that
// feature, the text's logit for its category falls behind the other
// categories' mean by less.
func TestFeatureEvidenceMatters(t *testing.T) {
	c := newClassifier(t, Options{})
	if c.model == nil {
		t.Fatal("no embedded model")
	}
	for _, text := range evidenceTexts {
		a := &analysis{}
		c.analyze(a, text)
		cat := argmax(a.z[:])
		before := margin(a, cat)
		ev := c.model.featureEvidence(a, cat, nil)
		if len(ev) == 0 {
			t.Errorf("%s: no model features in the evidence", text)
			continue
		}
		// The feature itself, by index: features may share a name.
		var top [featureEvidence]contrib
		c.model.strongestFeatures(a, cat, &top)
		i := top[0].feat
		if name := a.feats[i].name(); name != ev[0].Term {
			t.Fatalf("%s: evidence %q, strongest feature %q", text, ev[0].Term, name)
		}
		a.feats = slices.Delete(a.feats, i, i+1)
		c.model.scoreCat(a)
		if after := margin(a, cat); after >= before {
			t.Errorf("%s: without %q the %s margin is %.3f, not below %.3f", text, ev[0].Term, c.labels.cats[cat], after, before)
		}
	}
}

// TestFeatureEvidenceFirstOrder checks each listed feature's share against
// the logits: scaled down by a small eps, the feature moves its category's
// logit, less the mean logit, by eps times its share, both networks'
// parts included (the sub-type network's say is taken to first order).
func TestFeatureEvidenceFirstOrder(t *testing.T) {
	c := newClassifier(t, Options{})
	if c.model == nil {
		t.Fatal("no embedded model")
	}
	if c.model.info.SubWeight == 0 {
		t.Fatal("the embedded model gives the sub-type network no say; this test wants one")
	}
	const eps = 1e-3
	checked := 0
	for _, text := range evidenceTexts {
		a := &analysis{}
		c.analyze(a, text)
		cat := argmax(a.z[:])
		before := margin(a, cat)
		// Features may share a name (the reading trigrams of one word are
		// all named by it): each is found by its index.
		var top [featureEvidence]contrib
		for _, e := range top[:c.model.strongestFeatures(a, cat, &top)] {
			i := e.feat
			v := a.feats[i].v
			a.feats[i].v = v * (1 - eps)
			c.model.scoreCat(a)
			drop := (before - margin(a, cat)) / eps
			a.feats[i].v = v
			c.model.scoreCat(a)
			if diff := drop - e.w; diff > 0.02*e.w+1e-3 || diff < -0.02*e.w-1e-3 {
				t.Errorf("%s: %q moves the %s margin by %.4f per unit, its share is %.4f", text, a.feats[i].name(), c.labels.cats[cat], drop, e.w)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("checked %d features, want at least 10", checked)
	}
}
