// Package scenario builds demonstration datasets through the store's normal
// write path (AddReport, then Record of decisions, confirmations, deletion
// requests and outcomes), deterministically from a fixed seed.
//
//   - "whitepaper-2024": about 21,000 cases whose 2024 statistics are
//     exactly the police white paper's (違法情報 2,186 requests / 1,991
//     removed; 重要犯罪密接関連情報 9,488 / 8,024, of which 犯罪実行者募集情報
//     9,234 / 7,860; 自殺誘引等情報 6,359 / 4,986) with the default cutoff
//     (2025-01-31), together with what tests the counting rules: removals
//     before any request, removals after the cutoff, December requests
//     removed in January, requests at the edges of the year in Japan time,
//     cases of 2023 and 2025 (some with actions inside 2024), re-requests,
//     corrected judgements, and 2025 recruitment cases that belong under
//     違法情報.
//   - "sample": a few hundred cases of the last three months in every
//     state, some not yet reviewed, to click through.
//
// Report texts are short neutral placeholders (「【デモ】…の疑い（サンプル）」),
// never real content; hosts are under the reserved .example top-level
// domain.
package scenario

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// Writer is the store's write path.
type Writer interface {
	AddReport(ctx context.Context, r hotline.ClassifiedReport) error
	Record(ctx context.Context, actions ...hotline.Action) error
}

// Case is one item of a scenario: its reports, then its actions in order.
type Case struct {
	Reports []hotline.ClassifiedReport
	Actions []hotline.Action
}

// Names lists the scenarios.
func Names() []string { return []string{"sample", "whitepaper-2024"} }

// Generate builds the cases of the named scenario. now anchors the sample
// scenario (its cases are of the three months before now); the
// whitepaper-2024 scenario does not depend on it.
func Generate(name string, now time.Time) ([]Case, error) {
	switch name {
	case "whitepaper-2024":
		return whitepaper2024(), nil
	case "sample":
		return sample(now), nil
	}
	return nil, fmt.Errorf("unknown scenario %q (known: %v)", name, Names())
}

// WriteOptions tune Write.
type WriteOptions struct {
	// Workers write chunks concurrently (default 4).
	Workers int
	// Chunk is how many cases' actions go into one Record call, one
	// transaction (default 250).
	Chunk int
	// Progress, if set, is called after each chunk with the number of cases
	// written so far and the total; calls are serialised.
	Progress func(done, total int)
}

// Write writes cases through w: each case's reports with AddReport, then
// the actions of a chunk of cases with one Record call. Chunks are written
// by a few workers at once; a case's actions stay in order within its
// chunk. Writing the same cases again changes nothing (both calls are
// idempotent by id).
func Write(ctx context.Context, w Writer, cases []Case, o WriteOptions) error {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Chunk <= 0 {
		o.Chunk = 250
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []Case)
	var (
		mu       sync.Mutex
		done     int
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for range o.Workers {
		wg.Go(func() {
			for chunk := range chunks {
				var acts []hotline.Action
				for _, c := range chunk {
					for _, r := range c.Reports {
						if err := w.AddReport(ctx, r); err != nil {
							fail(fmt.Errorf("write scenario: %w", err))
							return
						}
					}
					acts = append(acts, c.Actions...)
				}
				if len(acts) > 0 {
					if err := w.Record(ctx, acts...); err != nil {
						fail(fmt.Errorf("write scenario: %w", err))
						return
					}
				}
				mu.Lock()
				done += len(chunk)
				if o.Progress != nil {
					o.Progress(done, len(cases))
				}
				mu.Unlock()
			}
		})
	}
send:
	for i := 0; i < len(cases); i += o.Chunk {
		select {
		case chunks <- cases[i:min(i+o.Chunk, len(cases))]:
		case <-ctx.Done():
			break send
		}
	}
	close(chunks)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// Summary counts what a scenario holds, for the demo command's closing line.
type Summary struct {
	Cases, Reports, Actions int
}

// Summarize counts cases, reports and actions.
func Summarize(cases []Case) Summary {
	s := Summary{Cases: len(cases)}
	for _, c := range cases {
		s.Reports += len(c.Reports)
		s.Actions += len(c.Actions)
	}
	return s
}

// sortActions orders a case's actions by time, keeping the order of equal
// times (the order they were generated in).
func sortActions(acts []hotline.Action) {
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].At.Before(acts[j].At) })
}
