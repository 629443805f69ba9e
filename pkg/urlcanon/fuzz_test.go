package urlcanon_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/hotline-jp/hotline/pkg/urlcanon"
)

func FuzzCanonical(f *testing.F) {
	for _, seed := range []string{
		"https://Example.com:443/board/thread/123/?utm_source=x#res5",
		"https://例え.jp/",
		"http://ｅｘａｍｐｌｅ．ｃｏｍ/a/./b/../c//d/",
		"http://user:pass@[2001:DB8::1]:8080/%7euser/a%2fb/日本?b=2&a&utm_medium=x&a=#!/p",
		`http:\\example.com.\a?q=a b`,
		"http://%65xample.com:0080/%2e%2E/x?s=1&si=2",
		"http://xn--r8jz45g.jp/?a=%e6%97%a5",
		"javascript:alert(1)",
		"//example.com/",
		"http://[fe80::1%25eth0]/",
		"http://مثال.إختبار/",
		"http://בדיקה.טעסט/",
		"http://ทดสอบ.th/",
		"http://a\u200db.example/",
		"http://\u0301a.example/",
		"http://faß.de/",
		"http://xn--fa-hia.de/",
		"http://１２３．４５.example/",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := urlcanon.Canonical(in)
		if err != nil {
			if !errors.Is(err, urlcanon.ErrInvalid) {
				t.Fatalf("Canonical(%q) error %v does not wrap ErrInvalid", in, err)
			}
			if c != "" {
				t.Fatalf("Canonical(%q) = %q with error %v", in, c, err)
			}
			return
		}
		u, err := url.Parse(c)
		if err != nil {
			t.Fatalf("Canonical(%q) = %q, which does not parse: %v", in, c, err)
		}
		if !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("Canonical(%q) = %q, not an absolute http(s) URL", in, c)
		}
		again, err := urlcanon.Canonical(c)
		if err != nil {
			t.Fatalf("Canonical(%q) = %q, which is rejected: %v", in, c, err)
		}
		if again != c {
			t.Fatalf("not idempotent: Canonical(%q) = %q, Canonical(%q) = %q", in, c, c, again)
		}
		if h := urlcanon.Host(c); h == "" || h != u.Hostname() {
			t.Fatalf("Host(%q) = %q, want %q", c, h, u.Hostname())
		}
	})
}
