package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// FuzzActionBodies sends arbitrary bodies to the case action endpoints:
// every one is answered with a status the client caused (never a 5xx).
func FuzzActionBodies(f *testing.F) {
	for _, s := range []string{
		`{"category":"illegal","subcategory":"drugs"}`,
		`{"action":"decision","category":"none","case_ids":["c00000000000000000000000000000000"]}`,
		`{"recipient_kind":"site_admin","recipient":"a@b","method":"email","sent_at":"2026-01-02T03:04:05Z"}`,
		`{"result":"removed","seen_at":"1999-01-01T00:00:00Z"}`,
		`{"note":"` + strings.Repeat("あ", 2000) + `"}`,
		`{"sent_at":"yesterday"}`, `[]`, `null`, `{"case_ids":[1,2]}`, "\xff",
	} {
		f.Add("decision", s)
		f.Add("bulk", s)
	}
	fx := newStaffFixture(f)
	id := fx.addCase(f, "r1", "https://bbs.example/t/f", hotline.CriminalRecruitment, "受け子")
	f.Fuzz(func(t *testing.T, path, body string) {
		target := "/api/v1/bulk"
		if path != "bulk" {
			target = "/api/v1/cases/" + id + "/" + map[bool]string{true: "decision", false: "requests"}[len(path)%2 == 0]
		}
		code, _, raw := fx.as(t, "admin", http.MethodPost, target, body)
		if code >= 500 || code == 0 {
			t.Fatalf("POST %s %q: %d %s", target, body, code, raw)
		}
	})
}
