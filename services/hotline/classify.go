package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/hotline-jp/hotline/classifiers"
)

func runClassify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("classify", stderr)
	model := fs.String("model", "", "classifier model file (default: the embedded model)")
	workers := fs.Int("workers", 0, "classifying goroutines (default: one per CPU)")
	memLimit := fs.Int("memory-limit", 100, "soft memory limit in MiB: the garbage collector works harder near it (0: none; $GOMEMLIMIT, when set, wins)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *memLimit < 0 {
		return fmt.Errorf("--memory-limit %d: must be 0 or more", *memLimit)
	}
	// The classifier's live heap is small (about 30 MB after the
	// dictionary is loaded); left alone, the collector lets the heap grow
	// to twice what it last found live, which put a long run's resident
	// set near 150 MB. A soft limit keeps it near 120 MB for about 5% more
	// time.
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && *memLimit > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(*memLimit) << 20))
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
