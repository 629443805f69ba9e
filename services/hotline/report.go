package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hotline-jp/hotline/pkg/node"
	"github.com/hotline-jp/hotline/pkg/report"
)

func runReport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("report", stderr)
	month := fs.String("month", "", "the month to report, YYYY-MM (Japan time)")
	year := fs.String("year", "", "the year to report, YYYY (Japan time)")
	cutoff := fs.String("cutoff", "", "last day on which a removal counts, YYYY-MM-DD (default: last day of the period plus --grace days)")
	grace := fs.Int("grace", report.DefaultGrace, "days after the period for the default cutoff")
	format := fs.String("format", report.FormatTable, "output format: table, csv or json")
	view := fs.String("view", report.ViewCategories, "what to report: categories (the published table) or providers (the scorecard per recipient and host)")
	data := fs.String("data", "./data", "data directory (sqlite store: <data>/"+node.StoreFile+")")
	storeKind := fs.String("store", node.StoreSQLite, "case store: sqlite or elasticsearch")
	es := fs.String("es", "", "Elasticsearch URLs, comma-separated (--store elasticsearch)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("report takes no arguments, got %q", fs.Args()))
	}
	o, err := report.ParseQuery(*month, *year, *cutoff, fmt.Sprint(*grace))
	if err != nil {
		var oe *report.OptionError
		if errors.As(err, &oe) {
			return usageError("--" + oe.Param + ": " + oe.Msg)
		}
		return err
	}
	o.Now = time.Now()
	switch *format {
	case report.FormatTable, report.FormatCSV, report.FormatJSON:
	default:
		return usageError(fmt.Sprintf("--format %q: want table, csv or json", *format))
	}
	if *view != report.ViewCategories && *view != report.ViewProviders {
		return usageError(fmt.Sprintf("--view %q: want categories or providers", *view))
	}
	switch {
	case *storeKind != node.StoreSQLite && *storeKind != node.StoreElasticsearch:
		return usageError(fmt.Sprintf("--store %q: want %s or %s", *storeKind, node.StoreSQLite, node.StoreElasticsearch))
	case *storeKind == node.StoreElasticsearch && *es == "":
		return usageError("--store elasticsearch needs --es")
	case !node.StoreAvailable(*storeKind):
		return fmt.Errorf("--store %s: %w", *storeKind, node.ErrStoreNotAvailable)
	}
	if *storeKind == node.StoreSQLite {
		path := filepath.Join(*data, node.StoreFile)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no case store at %s: %w", path, err)
		}
	}
	st, err := node.OpenStore(ctx, node.StoreConfig{Backend: *storeKind, DataDir: *data, ElasticsearchURLs: splitList(*es),
		ElasticsearchUsername: os.Getenv(envESUsername), ElasticsearchPassword: os.Getenv(envESPassword), ElasticsearchAPIKey: os.Getenv(envESAPIKey)})
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := report.Compute(ctx, st, o)
	if err != nil {
		return err
	}
	switch {
	case *view == report.ViewProviders && *format == report.FormatJSON:
		return report.WriteScorecardJSON(stdout, rep)
	case *view == report.ViewProviders && *format == report.FormatCSV:
		return report.WriteScorecardCSV(stdout, rep)
	case *format == report.FormatJSON:
		return report.WriteJSON(stdout, rep)
	case *format == report.FormatCSV:
		return report.WriteCSV(stdout, rep)
	}
	return report.WriteTable(stdout, rep)
}
