package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDemoAndReport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out, errs bytes.Buffer
	if err := run(ctx, []string{"demo", "--data", dir}, nil, &out, &errs); err != nil {
		t.Fatalf("demo: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "wrote scenario sample") || !strings.Contains(errs.String(), "100%") {
		t.Errorf("demo output %q, progress %q", out.String(), errs.String())
	}
	// A data directory with cases is not written into again without --force.
	err := run(ctx, []string{"demo", "--data", dir}, nil, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second demo: %v", err)
	}
	if err := run(ctx, []string{"demo", "--data", dir, "--force"}, nil, &out, &errs); err != nil {
		t.Errorf("demo --force: %v", err)
	}

	month := time.Now().In(time.FixedZone("Asia/Tokyo", 9*3600)).AddDate(0, -1, 0).Format("2006-01")
	out.Reset()
	if err := run(ctx, []string{"report", "--month", month, "--data", dir, "--format", "json"}, nil, &out, &errs); err != nil {
		t.Fatalf("report: %v", err)
	}
	var r struct {
		Period string
		Rows   []struct {
			Category  string
			Requested int
		}
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Period != month || len(r.Rows) != 3 {
		t.Errorf("report json: %v %+v", err, r)
	}
	out.Reset()
	if err := run(ctx, []string{"report", "--month", month, "--data", dir}, nil, &out, &errs); err != nil || !strings.Contains(out.String(), "削除の確認期限") {
		t.Errorf("report table: %v\n%s", err, out.String())
	}

	for _, args := range [][]string{
		{"report", "--data", dir},
		{"report", "--year", "2024", "--month", "2024-01", "--data", dir},
		{"report", "--year", "2024", "--format", "xml", "--data", dir},
		{"report", "--year", "2024", "--store", "elasticsearch", "--data", dir},
		{"report", "--year", "2024", "--store", "mysql", "--data", dir},
		{"demo", "--scenario", "nope", "--data", dir},
	} {
		if err := run(ctx, args, nil, &out, &errs); exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d), want a usage error", args, err, exitCode(err))
		}
	}
	if err := run(ctx, []string{"report", "--year", "2024", "--data", t.TempDir()}, nil, &out, &errs); err == nil {
		t.Error("report on an empty data directory did not fail")
	}
	if err := run(ctx, []string{"report", "--year", "2024", "--store", "elasticsearch", "--es", "http://127.0.0.1:9200", "--data", dir}, nil, &out, &errs); err == nil {
		t.Error("report --store elasticsearch did not fail in a build without it")
	}
}
