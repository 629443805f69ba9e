package httpapi

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/hotline-jp/hotline/pkg/pipeline"
)

// FuzzParseReport feeds arbitrary bodies to the public report parser: it
// must never panic, and whatever it accepts must be valid UTF-8; whatever it
// rejects must name a field.
func FuzzParseReport(f *testing.F) {
	for _, s := range []string{
		`{"url":"https://example.com/a","description":"受け子","contact":"x"}`,
		`{"url":`, `[]`, `null`, `{"url":5}`, "{\"url\":\"\xff\"}", `{"url":"a"} {}`, `{"zzz":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := parseReport(body)
		if err != nil {
			var se *statusError
			var fe *pipeline.FieldError
			if !errors.As(err, &se) && !errors.As(err, &fe) {
				t.Fatalf("error without a field: %v", err)
			}
			if se != nil && se.field == "" {
				t.Fatalf("error names no field: %v", err)
			}
			return
		}
		for _, s := range []string{in.URL, in.Text, in.Contact} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted invalid UTF-8 %q", s)
			}
		}
	})
}
