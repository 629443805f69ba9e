package classifiers

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// Metrics are one category's figures in a Report.
type Metrics struct {
	Category  hotline.Category `json:"category"`
	Precision float64          `json:"precision"`
	Recall    float64          `json:"recall"`
	F1        float64          `json:"f1"`
	Support   int              `json:"support"`   // items labelled with the category
	Predicted int              `json:"predicted"` // items classified into it
}

// EvalError is one misclassified item.
type EvalError struct {
	ID           string           `json:"id"`
	Text         string           `json:"text"`
	Gold         hotline.Category `json:"gold"`
	GoldSub      string           `json:"gold_subcategory,omitempty"`
	Predicted    hotline.Category `json:"predicted"`
	PredictedSub string           `json:"predicted_subcategory,omitempty"`
	Score        float64          `json:"score"`
	HardNegative bool             `json:"hard_negative,omitempty"`
	Evasion      bool             `json:"evasion,omitempty"`
}

// Report is the evaluation of a classifier on labelled data.
type Report struct {
	Model    string  `json:"model"`
	Items    int     `json:"items"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
	// PerCategory lists every category, in hotline.Categories order.
	PerCategory []Metrics `json:"per_category"`
	// Confusion[i][j] counts items labelled Labels[i] classified as Labels[j].
	Labels    []hotline.Category `json:"labels"`
	Confusion [][]int            `json:"confusion"`
	// Sub-types: of the items classified into their category whose label
	// has a sub-type, how many got the sub-type right.
	SubtypeItems   int `json:"subtype_items"`
	SubtypeCorrect int `json:"subtype_correct"`
	// Hard negatives (none items sharing the positives' vocabulary) and
	// how many of them were flagged as positive.
	HardNegatives        int `json:"hard_negatives"`
	HardNegativesFlagged int `json:"hard_negatives_flagged"`
	// Evasive positives and how many of them were missed (classified none).
	Evasive       int         `json:"evasive"`
	EvasiveMissed int         `json:"evasive_missed"`
	Errors        []EvalError `json:"errors"`
}

// Metrics returns the figures of category c.
func (r *Report) Metrics(c hotline.Category) Metrics {
	for _, m := range r.PerCategory {
		if m.Category == c {
			return m
		}
	}
	return Metrics{Category: c}
}

// Evaluate classifies every item of r (JSON Lines with at least "text" and
// "category"; "id", "subcategory", "evasion" and "hard_negative" are used
// when present) and measures the classifier against the labels.
func Evaluate(c *Classifier, r io.Reader) (Report, error) {
	items, err := readItems(r, false)
	if err != nil {
		return Report{}, fmt.Errorf("evaluate: %w", err)
	}
	got := classifyAll(c, items)
	return newReport(c.Version(), items, got), nil
}

// classifyAll classifies items on GOMAXPROCS goroutines.
func classifyAll(c *Classifier, items []Item) []hotline.Classification {
	got := make([]hotline.Classification, len(items))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(items); i += workers {
				got[i] = c.Classify(items[i].Text)
			}
		})
	}
	wg.Wait()
	return got
}

func newReport(model string, items []Item, got []hotline.Classification) Report {
	cats := hotline.Categories()
	idx := func(c hotline.Category) int {
		for i, x := range cats {
			if x == c {
				return i
			}
		}
		return -1
	}
	r := Report{Model: model, Items: len(items), Labels: cats, Confusion: make([][]int, len(cats)), Errors: []EvalError{}}
	for i := range r.Confusion {
		r.Confusion[i] = make([]int, len(cats))
	}
	correct := 0
	for i, it := range items {
		g := got[i]
		r.Confusion[idx(it.Category)][idx(g.Category)]++
		if it.HardNegative {
			r.HardNegatives++
			if g.Category != hotline.None {
				r.HardNegativesFlagged++
			}
		}
		if it.Evasion && it.Category != hotline.None {
			r.Evasive++
			if g.Category == hotline.None {
				r.EvasiveMissed++
			}
		}
		if g.Category == it.Category {
			correct++
			if it.Subcategory != "" {
				r.SubtypeItems++
				if g.Subcategory == it.Subcategory {
					r.SubtypeCorrect++
				}
			}
			continue
		}
		r.Errors = append(r.Errors, EvalError{
			ID: it.ID, Text: it.Text, Gold: it.Category, GoldSub: it.Subcategory,
			Predicted: g.Category, PredictedSub: g.Subcategory, Score: g.Score,
			HardNegative: it.HardNegative, Evasion: it.Evasion,
		})
	}
	if len(items) > 0 {
		r.Accuracy = float64(correct) / float64(len(items))
	}
	for i, c := range cats {
		m := Metrics{Category: c}
		tp := r.Confusion[i][i]
		for j := range cats {
			m.Support += r.Confusion[i][j]
			m.Predicted += r.Confusion[j][i]
		}
		if m.Predicted > 0 {
			m.Precision = float64(tp) / float64(m.Predicted)
		}
		if m.Support > 0 {
			m.Recall = float64(tp) / float64(m.Support)
		}
		if m.Precision+m.Recall > 0 {
			m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
		}
		r.PerCategory = append(r.PerCategory, m)
		r.MacroF1 += m.F1
	}
	r.MacroF1 /= float64(len(cats))
	return r
}

// WriteText writes the report for people: the figures per category, the
// confusion matrix and every error.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("model: %s\nitems: %d  accuracy: %.4f  macro-F1: %.4f\n\n", r.Model, r.Items, r.Accuracy, r.MacroF1)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "category\tprecision\trecall\tF1\tsupport\tpredicted\t\n")
	for _, m := range r.PerCategory {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\t%d\t\n", m.Category, m.Precision, m.Recall, m.F1, m.Support, m.Predicted)
	}
	tw.Flush()
	ew.printf("\nconfusion (rows: label, columns: classified as)\n")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t")
	for _, c := range r.Labels {
		fmt.Fprintf(tw, "%s\t", c)
	}
	fmt.Fprintf(tw, "\n")
	for i, c := range r.Labels {
		fmt.Fprintf(tw, "%s\t", c)
		for _, n := range r.Confusion[i] {
			fmt.Fprintf(tw, "%d\t", n)
		}
		fmt.Fprintf(tw, "\n")
	}
	tw.Flush()
	ew.printf("\nsub-type correct: %d of %d\n", r.SubtypeCorrect, r.SubtypeItems)
	ew.printf("hard negatives flagged: %d of %d\n", r.HardNegativesFlagged, r.HardNegatives)
	ew.printf("evasive positives missed: %d of %d\n", r.EvasiveMissed, r.Evasive)
	ew.printf("\nerrors: %d\n", len(r.Errors))
	for _, e := range r.Errors {
		ew.printf("%s\t%s/%s -> %s/%s (%.2f)\t%s\n", e.ID, e.Gold, e.GoldSub, e.Predicted, e.PredictedSub, e.Score, oneLine(e.Text, 100))
	}
	return ew.err
}

// oneLine shortens s to at most n runes on one line.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if n == 0 {
			i = k
			break
		}
		n--
	}
	return s[:i] + "…"
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
