// Command splitcorpus divides the labelled corpus sources (testdata/corpus/
// src/*.jsonl) into train.jsonl, dev.jsonl and test.jsonl, about 70/15/15,
// stratified by category and sub-type by a hash of each item's id (see
// classifiers.SplitItems). Run by `go generate ./classifiers`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/hotline-jp/hotline/classifiers"
)

func main() {
	src := flag.String("src", "testdata/corpus/src", "directory of labelled *.jsonl sources")
	out := flag.String("out", "testdata/corpus", "directory to write train.jsonl, dev.jsonl and test.jsonl to")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "splitcorpus:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	items, err := classifiers.ReadCorpusDir(src)
	if err != nil {
		return err
	}
	sp, err := classifiers.SplitItems(items, classifiers.DevFraction, classifiers.TestFraction)
	if err != nil {
		return err
	}
	for _, p := range []struct {
		name  string
		items []classifiers.Item
	}{{"train.jsonl", sp.Train}, {"dev.jsonl", sp.Dev}, {"test.jsonl", sp.Test}} {
		var b bytes.Buffer
		if err := classifiers.WriteItems(&b, p.items); err != nil {
			return err
		}
		path := filepath.Join(out, p.name)
		if old, err := os.ReadFile(path); err == nil && slices.Equal(old, b.Bytes()) {
			continue
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("splitcorpus: %d items: %d train, %d dev, %d test\n", len(items), len(sp.Train), len(sp.Dev), len(sp.Test))
	return nil
}
