package classifiers

import (
	"io/fs"
	"math"
	"strings"
	"sync"

	"github.com/hotline-jp/hotline/classifiers/textnorm"
	"github.com/hotline-jp/hotline/pkg/hotline"
)

// Options configure New.
type Options struct {
	// ModelPath names a model file written by Train to use instead of the
	// embedded model.
	ModelPath string
	// NoModel makes the classifier use the lexicon rules only, even if a
	// model is embedded.
	NoModel bool
	// Lexicon replaces the embedded lexicon files (lexicon.Default). A model
	// trained with other lexicons still loads, but its lexicon features no
	// longer mean what they meant in training.
	Lexicon fs.FS
}

// Review thresholds: a classification whose top probability is below
// reviewBelow, or whose margin over the runner-up is below reviewMargin,
// needs a person's judgement before anything else.
const (
	reviewBelow  = 0.6
	reviewMargin = 0.25
)

// featureEvidence is how many model features a classification lists.
const featureEvidence = 5

// Classifier classifies reported text. It is safe for concurrent use; the
// dictionary, lexicons and model it holds are read-only once New returns.
type Classifier struct {
	labels  *labels
	lex     *lexIndex
	morph   *morph
	model   *model // nil: lexicon rules only
	version string
	pool    sync.Pool // of *analysis
}

// New loads the dictionary, the lexicons and the model. It takes about a
// tenth of a second and 100 MB (the dictionary is loaded once per process
// and shared): build one Classifier per process and share it.
func New(opts Options) (*Classifier, error) {
	// The dictionary takes most of the time: load it while the model and
	// the lexicons are read.
	go preloadDict()
	var m *model
	var err error
	if !opts.NoModel {
		if opts.ModelPath != "" {
			m, err = readModelFile(opts.ModelPath)
		} else {
			m, err = embeddedModel()
		}
		if err != nil {
			return nil, err
		}
	}
	return newWithModel(m, opts)
}

// newWithModel builds a classifier around m (nil: rules only).
func newWithModel(m *model, opts Options) (*Classifier, error) {
	lb := newLabels()
	lex, err := newLexIndex(opts.Lexicon, lb)
	if err != nil {
		return nil, err
	}
	mo, err := newMorph(nil)
	if err != nil {
		return nil, err
	}
	if m != nil {
		if err := m.check(lb, mo); err != nil {
			return nil, err
		}
		if lex, err = lex.withDerived(m.derived, lb); err != nil {
			return nil, err
		}
	}
	c := &Classifier{labels: lb, lex: lex, morph: mo, model: m}
	c.pool.New = func() any { return new(analysis) }
	c.version = "hotline-classifier/1"
	if m != nil {
		c.version += " model=" + m.sha256[:12]
	} else {
		c.version += " rules"
	}
	c.version += " lexicon=" + lex.sha256[:12]
	return c, nil
}

// Version names the classifier: the code's version, the model's SHA-256
// prefix (or "rules" without a model) and the lexicon's.
func (c *Classifier) Version() string { return c.version }

// sentence is a sentence of the normalised text and its tokens.
type sentence struct {
	start, end   int // byte range in the normalised text
	tokLo, tokHi int // its tokens in analysis.toks
}

// analysis holds everything computed about one text. Analyses are pooled:
// the slices keep their storage from text to text.
type analysis struct {
	text   textnorm.Text
	hits   []hit
	lex    lexScores
	masks  []mask
	cues   cueSet
	sents  []sentence
	toks   []token
	feats  []feature
	seen   []uint64      // hash set for feature deduplication
	z      [nCat]float64 // logits
	p      [nCat]float64 // probabilities
	subHid []float32     // the sub-type network's hidden layer, rectified
	subZ   []float32
	touch  byte // see qmatrix.touch
	// rows, vals and known are by feature the vocabulary knows: its row in
	// the networks (see vocabulary), its value and its index in feats.
	rows, known []int32
	vals        []float32
	hid         []float32 // the category network's hidden layer, rectified
	toward      []float32 // by hidden unit: its pull towards the evidence's category
	// towardSub is toward for the sub-type network's say; pull, by
	// sub-type, the gradient of that say by the sub-type's logit.
	towardSub, pull []float32
	// share and subShare, by known feature: its share of toward and of
	// towardSub.
	share, subShare []float32
}

// analyze runs the analysis of text: with a model up to the calibrated
// probabilities, without one up to the rule scores.
func (c *Classifier) analyze(a *analysis, text string) {
	c.features(a, text)
	if c.model == nil {
		a.ruleScores()
		return
	}
	c.model.scoreCat(a)
}

// features normalises text, matches the lexicons and, with a model,
// tokenises the text and computes its features.
func (c *Classifier) features(a *analysis, text string) {
	a.text = textnorm.NormalizeReusing(text, a.text) // nothing outside the analysis keeps the last
	a.lex.reset(c.labels)
	a.hits = c.lex.match(a.hits, a.text.Fold, &a.lex)
	a.masks = findMasks(a.masks[:0], a.text.Norm)
	a.cues = cueSet{}
	for _, m := range a.masks {
		a.cues.masks[m.kind]++
	}
	scanCues(a.text.Fold, &a.cues)
	scanOrig(a.text.Orig, &a.cues)
	if c.model == nil {
		return
	}
	a.splitSentences()
	a.toks = a.toks[:0]
	for i := range a.sents {
		s := &a.sents[i]
		s.tokLo = len(a.toks)
		a.toks = c.morph.tokenize(a.toks, a.text.Norm[s.start:s.end], s.start, &c.model.lemmas)
		s.tokHi = len(a.toks)
	}
	if c.model.info.Params.ReadScale > 0 {
		c.morph.setReadings(a.toks, &c.model.readings)
	}
	a.featurize(&c.model.info.Params, c.labels)
}

// splitSentences cuts the normalised text at 。！？!? and line breaks.
func (a *analysis) splitSentences() {
	a.sents = a.sents[:0]
	s := a.text.Norm
	start := 0
	for i := 0; i < len(s); i++ {
		var n int
		switch {
		case s[i] == '!' || s[i] == '?' || s[i] == '\n':
			n = 1
		case strings.HasPrefix(s[i:], "。"):
			n = len("。")
		default:
			continue
		}
		if i > start {
			a.sents = append(a.sents, sentence{start: start, end: i})
		}
		start = i + n
		i += n - 1
	}
	if start < len(s) {
		a.sents = append(a.sents, sentence{start: start, end: len(s)})
	}
}

// ruleSlope scales the rule logits: a text without any evidence is none at
// about 0.83, one with a single strong term (weight 3) positive at 0.95.
const ruleSlope = 2

// ruleScores turns the net lexicon scores into probabilities: the logit of
// a positive category is its net score less the threshold (times
// ruleSlope), that of none 0.
func (a *analysis) ruleScores() {
	for c := range nPos {
		a.z[c] = ruleSlope * (a.lex.net[c] - ruleThreshold)
	}
	a.z[catNone] = 0
	softmax(a.z[:], a.p[:], 1)
}

func softmax(z, p []float64, temperature float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	var sum float64
	for i, v := range z {
		p[i] = math.Exp((v - m) / temperature)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
}

// Classify classifies text.
func (c *Classifier) Classify(text string) hotline.Classification {
	a := c.pool.Get().(*analysis)
	defer c.pool.Put(a)
	c.analyze(a, text)
	return c.result(a)
}

// result builds the classification of an analysed text.
func (c *Classifier) result(a *analysis) hotline.Classification {
	best, second := 0, -1
	for k := 1; k < nCat; k++ {
		if a.p[k] > a.p[best] {
			best, second = k, best
		} else if second < 0 || a.p[k] > a.p[second] {
			second = k
		}
	}
	cat := c.labels.cats[best]
	score := a.p[best]
	r := hotline.Classification{
		Category:    cat,
		Subcategory: c.subcategory(a, best),
		Score:       round4(score),
		Scores:      make(map[hotline.Category]float64, nCat),
		NeedsReview: score < reviewBelow || score-a.p[second] < reviewMargin,
		Model:       c.version,
	}
	for k, cc := range c.labels.cats {
		r.Scores[cc] = a.p[k]
	}
	r.Evidence = c.evidence(a, best)
	imminent := false
	switch best {
	case catSuicide:
		imminent = a.cues.time
	case catCritical:
		imminent = a.cues.time || r.Subcategory == "violence_for_hire"
	}
	if imminent && a.cues.time {
		s, e := a.text.Span(a.cues.timeStart, a.cues.timeEnd)
		r.Evidence = append(r.Evidence, hotline.Evidence{
			Term: a.text.Orig[s:e], Category: cat, Kind: "imminence", Weight: 1, Start: s, End: e,
		})
	}
	r.Priority = hotline.Priority(cat, score, imminent)
	return r
}

// genericCap is the most the catch-all sub-type "generic" counts when the
// rules choose a sub-type.
const genericCap = 1.0

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// subcategory picks the sub-type of category cat: by the sub-type model, or
// without one by the strongest lexicon sub-type (for none, by the strongest
// counter-evidence).
func (c *Classifier) subcategory(a *analysis, cat int) string {
	if c.model != nil {
		name := c.labels.subs[c.model.scoreSub(a, cat)].name
		if name == "generic" {
			// The catch-all says the role is unknown; a role the text
			// names outright (受け子, 運び屋) says otherwise.
			if role, w := c.strongestSub(a, cat, false); w >= namedRole {
				return role
			}
		}
		return name
	}
	if cat == catNone {
		best, kind := 0.0, "everyday"
		for k, v := range a.lex.counter {
			if v > best {
				best, kind = v, c.labels.kinds[k]
			}
		}
		if kind == "business" {
			kind = "job_ad"
		}
		return kind
	}
	name, _ := c.strongestSub(a, cat, true)
	return name
}

// namedRole is the least lexicon weight of a specific sub-type that
// overrides the sub-type model's "generic".
const namedRole = 1.5

// strongestSub returns the sub-type of category cat with the most lexicon
// weight, and the weight. A specific sub-type with evidence beats the
// catch-all "generic" (高額報酬 and the like say nothing about the role),
// which counts at most genericCap, or not at all without withGeneric.
func (c *Classifier) strongestSub(a *analysis, cat int, withGeneric bool) (string, float64) {
	best, name := 0.0, ""
	for i, v := range a.lex.sub {
		s := c.labels.subs[i]
		if s.cat != cat || (s.name == "generic" && !withGeneric) {
			continue
		}
		if s.name == "generic" && v > 0 {
			v = min(v, genericCap)
		}
		if v > best || name == "" {
			best, name = v, s.name
		}
	}
	return name, best
}

// evidence lists the lexicon hits that counted, in text order, with their
// spans in the original text, then the model features that pushed hardest
// towards category cat.
func (c *Classifier) evidence(a *analysis, cat int) []hotline.Evidence {
	// Sized once: at most every hit, the model's features and an
	// imminence cue.
	ev := make([]hotline.Evidence, 0, len(a.hits)+featureEvidence+1)
	for i := range a.hits {
		h := &a.hits[i]
		if !h.kept || h.group >= conceptGroup {
			continue // concepts show as model features
		}
		e := hotline.Evidence{Term: h.entry.Term, Weight: h.entry.Weight}
		if h.term != "" {
			e.Term = h.term // derived: name the lexicon term
		}
		if h.group == nPos {
			e.Kind, e.Category, e.Subcategory = "counter", hotline.None, h.entry.Subcategory
		} else {
			e.Kind, e.Category, e.Subcategory = "lexicon", c.labels.cats[h.group], h.entry.Subcategory
		}
		e.Start, e.End = a.text.Span(h.start, h.end)
		if h.denial > 0 {
			// The denial counts for the term: show it with it.
			e.Weight += denialWeight
			e.Start, e.End = a.text.Span(h.start, h.end+h.denial)
			e.Term += a.text.Fold[h.end : h.end+h.denial]
		}
		if h.mention {
			e.Weight *= mentionWeight // quoted or named, not used
		}
		ev = append(ev, e)
	}
	if c.model != nil {
		ev = c.model.featureEvidence(a, cat, ev)
	}
	return ev
}
