package classifiers

//go:generate go run ./internal/cmd/splitcorpus -src ../testdata/corpus/src -out ../testdata/corpus
//go:generate go run ./internal/cmd/trainmodel -train ../testdata/corpus/train.jsonl -dev ../testdata/corpus/dev.jsonl -out model/model.bin

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// Item is one labelled text of the corpus (testdata/corpus/TAXONOMY.md).
type Item struct {
	ID           string           `json:"id"`
	Text         string           `json:"text"`
	Category     hotline.Category `json:"category"`
	Subcategory  string           `json:"subcategory,omitempty"`
	Style        string           `json:"style,omitempty"`
	Evasion      bool             `json:"evasion"`
	HardNegative bool             `json:"hard_negative"`
}

// ReadItems reads labelled items, one JSON object a line; blank lines are
// skipped. Every item needs an id unique in r, a text and a valid category;
// a sub-type, when given, must belong to the category.
func ReadItems(r io.Reader) ([]Item, error) { return readItems(r, true) }

// readItems reads items; unless strict, an item may lack an id (it is
// named after its line) and carry a sub-type this taxonomy does not know.
func readItems(r io.Reader, strict bool) ([]Item, error) {
	var items []Item
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var it Item
		if err := json.Unmarshal(line, &it); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if it.ID == "" && !strict {
			it.ID = fmt.Sprintf("line-%d", n)
		}
		switch {
		case it.ID == "":
			return nil, fmt.Errorf("line %d: no id", n)
		case seen[it.ID] > 0:
			return nil, fmt.Errorf("line %d: id %q already on line %d", n, it.ID, seen[it.ID])
		case !it.Category.Valid():
			return nil, fmt.Errorf("line %d (%s): unknown category %q", n, it.ID, it.Category)
		case strict && !hotline.ValidSubcategory(it.Category, it.Subcategory):
			return nil, fmt.Errorf("line %d (%s): %q is not a sub-type of %s", n, it.ID, it.Subcategory, it.Category)
		}
		seen[it.ID] = n
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read items: %w", err)
	}
	return items, nil
}

// WriteItems writes items as JSON Lines, in order.
func WriteItems(w io.Writer, items []Item) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return fmt.Errorf("write item %s: %w", it.ID, err)
		}
	}
	return nil
}

// Split is a division of the corpus.
type Split struct {
	Train, Dev, Test []Item
}

// SplitItems divides items into train, dev and test, stratified by
// category and sub-type: within each stratum the items are ordered by the
// SHA-256 of their id, the first round(devFrac·n) (but at least one when
// the stratum has three items or more) go to test, as many to dev, the rest
// to train. The division depends only on the ids and labels, not on the
// input order; each part keeps the input order.
func SplitItems(items []Item, devFrac, testFrac float64) (Split, error) {
	if devFrac < 0 || testFrac < 0 || devFrac+testFrac >= 1 {
		return Split{}, errors.New("split: fractions out of range")
	}
	type keyed struct {
		hash [32]byte
		i    int
	}
	strata := map[string][]keyed{}
	var names []string
	for i, it := range items {
		s := string(it.Category) + "/" + it.Subcategory
		if _, ok := strata[s]; !ok {
			names = append(names, s)
		}
		strata[s] = append(strata[s], keyed{sha256.Sum256([]byte(it.ID)), i})
	}
	part := make([]int, len(items)) // 0 train, 1 dev, 2 test
	for _, s := range names {
		st := strata[s]
		slices.SortFunc(st, func(a, b keyed) int { return cmp.Compare(string(a.hash[:]), string(b.hash[:])) })
		n := len(st)
		count := func(f float64) int {
			k := int(math.Round(f * float64(n)))
			if k == 0 && f > 0 && n >= 3 {
				k = 1
			}
			return k
		}
		nTest, nDev := count(testFrac), count(devFrac)
		for j, k := range st {
			switch {
			case j < nTest:
				part[k.i] = 2
			case j < nTest+nDev:
				part[k.i] = 1
			}
		}
	}
	var sp Split
	for i, it := range items {
		switch part[i] {
		case 0:
			sp.Train = append(sp.Train, it)
		case 1:
			sp.Dev = append(sp.Dev, it)
		default:
			sp.Test = append(sp.Test, it)
		}
	}
	return sp, nil
}

// The corpus split: about 70% train, 15% dev, 15% test.
const (
	DevFraction  = 0.15
	TestFraction = 0.15
)

// ReadCorpusDir reads every *.jsonl file of dir, in name order, as one
// corpus (ids unique across files).
func ReadCorpusDir(dir string) ([]Item, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("corpus: no *.jsonl in %s", dir)
	}
	slices.Sort(names)
	var all []Item
	seen := map[string]string{}
	for _, n := range names {
		items, err := readItemsFile(n)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if f, dup := seen[it.ID]; dup {
				return nil, fmt.Errorf("corpus: id %q in both %s and %s", it.ID, f, n)
			}
			seen[it.ID] = n
		}
		all = append(all, items...)
	}
	return all, nil
}

func readItemsFile(path string) ([]Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	defer f.Close()
	items, err := ReadItems(f)
	if err != nil {
		return nil, fmt.Errorf("corpus: %s: %w", path, err)
	}
	return items, nil
}
