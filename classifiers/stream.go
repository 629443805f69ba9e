package classifiers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// Texter classifies one text; *Classifier is one.
type Texter interface {
	Classify(text string) hotline.Classification
}

// StreamResult is one output line of ClassifyJSONL.
type StreamResult struct {
	ID json.RawMessage `json:"id"`
	hotline.Classification
	Error string `json:"error,omitempty"`
}

type streamInput struct {
	ID   json.RawMessage `json:"id"`
	Text *string         `json:"text"`
	URL  string          `json:"url,omitempty"`
}

// ClassifyJSONL reads JSON Lines {"id","text"} (optional "url") from r and
// writes one JSON line per input line to w, in input order, classifying on
// workers goroutines (GOMAXPROCS when workers <= 0). A line that is not a
// JSON object with a string "text" gets an output line with "error" and
// counts in bad; blank lines are skipped.
func ClassifyJSONL(ctx context.Context, c Texter, r io.Reader, w io.Writer, workers int) (n, bad int, err error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type job struct {
		seq  int
		line []byte
	}
	type result struct {
		seq int
		out []byte
		bad bool
	}
	jobs := make(chan job, workers*4)
	results := make(chan result, workers*4)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var readErr error
	go func() {
		defer close(jobs)
		br := bufio.NewReaderSize(r, 1<<20)
		seq := 0
		for {
			line, err := br.ReadBytes('\n')
			if t := bytes.TrimSpace(line); len(t) > 0 {
				select {
				case jobs <- job{seq, t}:
					seq++
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = fmt.Errorf("read input: %w", err)
				}
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var (
					in  streamInput
					res StreamResult
					bad bool
				)
				if err := json.Unmarshal(j.line, &in); err != nil {
					res.Error, bad = inputError(j.line, err), true
				} else if in.Text == nil {
					res.ID, res.Error, bad = in.ID, `line has no string "text"`, true
				} else {
					res.ID = in.ID
					res.Classification = c.Classify(*in.Text)
				}
				if len(res.ID) == 0 {
					res.ID = json.RawMessage("null")
				}
				out, err := json.Marshal(res)
				if err != nil {
					out, bad = []byte(`{"id":null,"error":"cannot encode result"}`), true
				}
				select {
				case results <- result{j.seq, append(out, '\n'), bad}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	bw := bufio.NewWriterSize(w, 1<<16)
	pending := map[int]result{}
	next := 0
	for res := range results {
		pending[res.seq] = res
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			n++
			if p.bad {
				bad++
			}
			if _, err := bw.Write(p.out); err != nil {
				cancel()
				for range results {
				}
				return n, bad, fmt.Errorf("write output: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return n, bad, fmt.Errorf("write output: %w", err)
	}
	return n, bad, readErr
}

// inputError says what is wrong with an input line that does not decode:
// plain text gets the line format, not the decoder's complaint about its
// first byte.
func inputError(line []byte, err error) string {
	if line[0] != '{' {
		return `line is not a JSON object: want {"id":…,"text":"…"} on each line`
	}
	return "line is not a valid JSON object: " + err.Error()
}
