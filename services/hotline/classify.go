package main

import (
	"context"
	"fmt"
	"io"

	"github.com/hotline-jp/hotline/classifiers"
)

func runClassify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("classify", stderr)
	model := fs.String("model", "", "classifier model file (default: the embedded model)")
	workers := fs.Int("workers", 0, "classifying goroutines (default: one per CPU)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cls, err := classifiers.New(classifiers.Options{ModelPath: *model})
	if err != nil {
		return fmt.Errorf("load classifier: %w", err)
	}
	n, bad, err := classifiers.ClassifyJSONL(ctx, cls, stdin, stdout, *workers)
	if err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d input lines could not be classified (see their \"error\")", bad, n)
	}
	return nil
}
