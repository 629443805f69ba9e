package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotline-jp/hotline/pkg/node"
	"github.com/hotline-jp/hotline/pkg/report/scenario"
	"github.com/hotline-jp/hotline/pkg/store"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
)

func runDemo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	name := fs.String("scenario", "sample", "dataset to build: "+strings.Join(scenario.Names(), " or "))
	data := fs.String("data", "./data", "data directory (sqlite store: <data>/"+node.StoreFile+")")
	force := fs.Bool("force", false, "write even if the store already has cases")
	workers := fs.Int("workers", 4, "concurrent writers")
	chunk := fs.Int("chunk", 250, "cases per Record transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("demo takes no arguments, got %q", fs.Args()))
	}
	cases, err := scenario.Generate(*name, time.Now())
	if err != nil {
		return usageError(err.Error())
	}
	path := filepath.Join(*data, node.StoreFile)
	st, err := sqlitestore.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	page, err := st.Cases(ctx, store.Query{Limit: 1})
	if err != nil {
		return err
	}
	if page.Total > 0 && !*force {
		return fmt.Errorf("%s already holds %d cases: refusing to add demo data (use --force)", path, page.Total)
	}
	start := time.Now()
	bar := progressBar(stderr, "demo "+*name)
	err = scenario.Write(ctx, st, cases, scenario.WriteOptions{Workers: *workers, Chunk: *chunk, Progress: bar})
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	sum := scenario.Summarize(cases)
	fmt.Fprintf(stdout, "wrote scenario %s to %s: %d cases, %d reports, %d actions in %s\n",
		*name, path, sum.Cases, sum.Reports, sum.Actions, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// progressBar returns a progress callback drawing a bar on w.
func progressBar(w io.Writer, label string) func(done, total int) {
	start := time.Now()
	return func(done, total int) {
		const width = 30
		n := width * done / max(total, 1)
		fmt.Fprintf(w, "\r%s [%s%s] %3d%% %d/%d cases %s", label, strings.Repeat("#", n), strings.Repeat(".", width-n),
			100*done/max(total, 1), done, total, time.Since(start).Round(time.Second))
	}
}
