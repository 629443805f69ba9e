package urlcanon_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hotline-jp/hotline/pkg/urlcanon"
)

// maxLength is the documented limit of 8 KiB of input.
const maxLength = 8 << 10

func TestCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// The must-have equivalence.
		{"same item, noisy form", "https://Example.com:443/board/thread/123/?utm_source=x#res5", "https://example.com/board/thread/123"},
		{"same item, plain form", "https://example.com/board/thread/123", "https://example.com/board/thread/123"},

		// Whitespace.
		{"surrounding spaces", "  https://example.com/a \n", "https://example.com/a"},
		{"longest input", "http://example.com/" + strings.Repeat("a", maxLength-19), "http://example.com/" + strings.Repeat("a", maxLength-19)},
		{"surrounding ideographic space", "\u3000https://example.com/a\u3000", "https://example.com/a"},

		// Scheme.
		{"scheme upper case", "HTTP://example.com/", "http://example.com/"},
		{"scheme mixed case", "HtTpS://example.com/", "https://example.com/"},

		// Userinfo.
		{"userinfo dropped", "http://user:pass@example.com/a", "http://example.com/a"},
		{"user only dropped", "http://user@example.com/", "http://example.com/"},
		{"last @ ends userinfo", "http://a@b@example.com/", "http://example.com/"},
		{"host-looking userinfo", "http://example.com:80@evil.example/", "http://evil.example/"},

		// Host.
		{"host upper case", "http://WWW.Example.COM/", "http://www.example.com/"},
		{"IDN host", "https://例え.jp/", "https://xn--r8jz45g.jp/"},
		{"punycode host kept", "https://xn--r8jz45g.jp/", "https://xn--r8jz45g.jp/"},
		{"punycode host upper case", "https://XN--R8JZ45G.JP/", "https://xn--r8jz45g.jp/"},
		{"full-width host", "http://ｅｘａｍｐｌｅ．ｃｏｍ/", "http://example.com/"},
		{"ideographic full stop in host", "http://example。com/", "http://example.com/"},
		{"IDN with upper case", "https://BÜCHER.example/", "https://xn--bcher-kva.example/"},
		{"non-transitional sharp s", "http://faß.de/", "http://xn--fa-hia.de/"},
		{"percent-encoded host", "http://%65xample.com/", "http://example.com/"},
		{"percent-encoded IDN host", "http://%E4%BE%8B%E3%81%88.jp/", "http://xn--r8jz45g.jp/"},
		{"trailing dot", "http://example.com./", "http://example.com/"},
		{"longest label", "http://" + strings.Repeat("a", 63) + ".example/", "http://" + strings.Repeat("a", 63) + ".example/"},
		{"trailing dot with port", "http://example.com.:8080/", "http://example.com:8080/"},
		{"double hyphen label", "https://r3---sn-abc.googlevideo.com/v", "https://r3---sn-abc.googlevideo.com/v"},
		{"underscore label", "http://a_b.example.com/", "http://a_b.example.com/"},
		{"IPv4", "http://192.0.2.1/", "http://192.0.2.1/"},
		{"IPv6 kept bracketed", "http://[2001:db8::1]/", "http://[2001:db8::1]/"},
		{"IPv6 normalised", "http://[2001:DB8:0:0:0:0:0:1]:8080/", "http://[2001:db8::1]:8080/"},
		{"IPv4-mapped IPv6", "http://[::FFFF:192.0.2.1]/", "http://[::ffff:192.0.2.1]/"},
		{"IPv6 default port", "https://[::1]:443/", "https://[::1]/"},

		// Ports.
		{"http default port", "http://example.com:80/", "http://example.com/"},
		{"https default port", "https://example.com:443/", "https://example.com/"},
		{"http port 443 kept", "http://example.com:443/", "http://example.com:443/"},
		{"https port 80 kept", "https://example.com:80/", "https://example.com:80/"},
		{"other port kept", "http://example.com:8080/a", "http://example.com:8080/a"},
		{"port leading zeros", "http://example.com:0080/", "http://example.com/"},
		{"empty port", "http://example.com:/", "http://example.com/"},

		// Path.
		{"empty path", "http://example.com", "http://example.com/"},
		{"root path", "http://example.com/", "http://example.com/"},
		{"empty path with query", "http://example.com?a=1", "http://example.com/?a=1"},
		{"dot segments", "http://example.com/a/./b/../c", "http://example.com/a/c"},
		{"dot dot above root", "http://example.com/../../a", "http://example.com/a"},
		{"trailing dot dot", "http://example.com/a/b/..", "http://example.com/a"},
		{"only dot segments", "http://example.com/./..", "http://example.com/"},
		{"encoded dot segments", "http://example.com/a/%2e%2E/b", "http://example.com/b"},
		{"dot in name kept", "http://example.com/a/.b/c..", "http://example.com/a/.b/c.."},
		{"duplicate slashes", "http://example.com//a///b", "http://example.com/a/b"},
		{"trailing slash", "http://example.com/a/b/", "http://example.com/a/b"},
		{"only slashes", "http://example.com///", "http://example.com/"},
		{"backslashes as slashes", `http:\\example.com\a\b`, "http://example.com/a/b"},
		{"backslash in query kept encoded", `http://example.com/a?q=\`, "http://example.com/a?q=%5C"},

		// Percent-encoding.
		{"unreserved escape decoded", "http://example.com/%7euser", "http://example.com/~user"},
		{"unreserved escapes decoded", "http://example.com/%41%62%2D%5F%2e%7E%30", "http://example.com/Ab-_.~0"},
		{"reserved escape kept, hex upper", "http://example.com/a%2fb", "http://example.com/a%2Fb"},
		{"hex upper cased", "http://example.com/%e6%97%a5", "http://example.com/%E6%97%A5"},
		{"non-ASCII encoded", "http://example.com/日本", "http://example.com/%E6%97%A5%E6%9C%AC"},
		{"encoded non-ASCII kept", "http://example.com/%E6%97%A5%E6%9C%AC", "http://example.com/%E6%97%A5%E6%9C%AC"},
		{"Shift_JIS escape kept", "http://example.com/%82%a0", "http://example.com/%82%A0"},
		{"space encoded", "http://example.com/a b", "http://example.com/a%20b"},
		{"unsafe ASCII encoded", "http://example.com/a<b>|{}^`\"", "http://example.com/a%3Cb%3E%7C%7B%7D%5E%60%22"},
		{"sub-delims kept", "http://example.com/a;b=c,d!$&'()*+:@", "http://example.com/a;b=c,d!$&'()*+:@"},
		{"percent escape of percent", "http://example.com/100%25", "http://example.com/100%25"},

		// Query.
		{"utm params dropped", "http://example.com/a?utm_source=x&utm_medium=y&utm_campaign=z", "http://example.com/a"},
		{"click ids dropped", "http://example.com/a?fbclid=1&gclid=2&dclid=3&gbraid=4&wbraid=5&msclkid=6&yclid=7&id=9", "http://example.com/a?id=9"},
		{"other trackers dropped", "http://example.com/a?igshid=1&mc_cid=2&mc_eid=3&_ga=4&_gl=5&ref_src=6&ref_url=7&spm=8&si=9&p=1", "http://example.com/a?p=1"},
		{"s kept", "https://x.com/u/status/1?s=20", "https://x.com/u/status/1?s=20"},
		{"tracking match is case-sensitive", "http://example.com/?FBCLID=1", "http://example.com/?FBCLID=1"},
		{"encoded tracking key dropped", "http://example.com/?utm%5Fsource=x&a=1", "http://example.com/?a=1"},
		{"utm without underscore kept", "http://example.com/?utmsource=x", "http://example.com/?utmsource=x"},
		{"sorted by key", "http://example.com/?b=2&a=1&c=3", "http://example.com/?a=1&b=2&c=3"},
		{"stable for equal keys", "http://example.com/?b=1&a=2&b=0&a=1", "http://example.com/?a=2&a=1&b=1&b=0"},
		{"key without value", "http://example.com/?b=1&a", "http://example.com/?a&b=1"},
		{"empty value distinct from no value", "http://example.com/?a=&a", "http://example.com/?a=&a"},
		{"empty query", "http://example.com/a?", "http://example.com/a"},
		{"empty params dropped", "http://example.com/a?&&x=1&&", "http://example.com/a?x=1"},
		{"only tracking left nothing", "http://example.com/a/?utm_source=x&", "http://example.com/a"},
		{"query escapes normalised", "http://example.com/?q=%e6%97%a5%7e&r=日本 x", "http://example.com/?q=%E6%97%A5~&r=%E6%97%A5%E6%9C%AC%20x"},
		{"encoded ampersand kept", "http://example.com/?q=a%26b", "http://example.com/?q=a%26b"},
		{"plus kept", "http://example.com/?q=a+b", "http://example.com/?q=a+b"},
		{"slash and question mark in query", "http://example.com/?next=/a?b", "http://example.com/?next=/a?b"},
		{"equals in value", "http://example.com/?a=b=c", "http://example.com/?a=b=c"},

		// Fragment.
		{"fragment dropped", "http://example.com/a#res5", "http://example.com/a"},
		{"empty fragment dropped", "http://example.com/a#", "http://example.com/a"},
		{"hash-bang kept", "http://example.com/#!/user/status/1", "http://example.com/#!/user/status/1"},
		{"hash-bang normalised", "http://example.com/#!/日本/%7e#x", "http://example.com/#!/%E6%97%A5%E6%9C%AC/~%23x"},
		{"hash-bang after query", "http://example.com/?utm_source=a#!/p", "http://example.com/#!/p"},
		{"bare hash-bang dropped", "http://example.com/#!", "http://example.com/"},
		{"encoded bang not a hash-bang", "http://example.com/#%21/p", "http://example.com/"},
		{"query-looking fragment", "http://example.com/a#?b=c", "http://example.com/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := urlcanon.Canonical(tt.in)
			if err != nil {
				t.Fatalf("Canonical(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Canonical(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			again, err := urlcanon.Canonical(got)
			if err != nil || again != got {
				t.Errorf("not idempotent: Canonical(%q) = %q, %v", got, again, err)
			}
		})
	}
}

func TestCanonicalInvalid(t *testing.T) {
	tests := []struct {
		name, in, wantMsg string
	}{
		{"empty", "", "empty"},
		{"only spaces", " \t ", "empty"},
		{"too long", "http://example.com/" + strings.Repeat("a", maxLength), "longer than"},
		{"too long with padding", strings.Repeat(" ", maxLength) + "http://example.com/", "longer than"},
		{"canonical form too long", "http://example.com/" + strings.Repeat("日", maxLength/4), "canonical form longer"},
		{"control character", "http://example.com/a\x00b", "control character"},
		{"newline inside", "http://example.com/a\nb", "control character"},
		{"tab inside", "http://exam\tple.com/", "control character"},
		{"DEL", "http://example.com/\x7f", "control character"},
		{"C1 control", "http://example.com/\u0085a", "control character"},
		{"relative path", "/a/b", "not an absolute URL"},
		{"relative name", "example.com/a", "not an absolute URL"},
		{"scheme-relative", "//example.com/a", "not an absolute URL"},
		{"leading colon", ":foo", "not an absolute URL"},
		{"bad scheme char", "ht_tp://example.com/", "bad scheme"},
		{"javascript", "javascript:alert(1)", `scheme "javascript"`},
		{"data", "data:text/html,<b>x</b>", `scheme "data"`},
		{"ftp", "ftp://example.com/file", `scheme "ftp"`},
		{"mailto", "mailto:a@example.com", `scheme "mailto"`},
		{"no slashes", "http:example.com", "no host"},
		{"one slash", "http:/example.com", "no host"},
		{"no host", "http:///a", "no host"},
		{"only userinfo", "http://user@/a", "no host"},
		{"only port", "http://:80/", "no host"},
		{"only dot", "http://./", "no host"},
		{"empty label", "http://example..com/", "empty label"},
		{"leading dot", "http://.example.com/", "empty label"},
		{"two trailing dots", "http://example.com../", "empty label"},
		{"label too long", "http://" + strings.Repeat("a", 64) + ".example/", "label longer than 63"},
		{"IDN label too long", "http://" + strings.Repeat("日本語テキスト", 6) + ".example/", "label longer than 63"},
		{"host too long", "http://" + strings.Repeat("a.", 127) + "example/", "longer than 253"},
		{"space in host", "http://exa mple.com/", "not allowed"},
		{"encoded slash in host", "http://exa%2Fmple.com/", "not allowed"},
		{"bad escape in host", "http://exa%zzmple.com/", "percent-encoding in host"},
		{"bad punycode", "http://xn--zz.jp/", "bad host"},
		{"ASCII punycode label", "http://xn--abc-.jp/", "bad host"},
		{"disallowed rune", "http://a\u2488.example/", "bad host"},
		{"bidi rule", "http://a\u05d0.example/", "bad host"},
		{"unclosed IPv6", "http://[::1/", "unclosed IPv6"},
		{"bad IPv6", "http://[::g]/", "not an IPv6 address"},
		{"IPv4 in brackets", "http://[192.0.2.1]/", "not an IPv6 address"},
		{"IPv6 zone", "http://[fe80::1%25eth0]/", "zone"},
		{"junk after IPv6", "http://[::1]x/", "after IPv6 literal"},
		{"IPv6 without brackets", "http://2001:db8::1/", "bad host"},
		{"port not a number", "http://example.com:http/", "bad port"},
		{"port too large", "http://example.com:65536/", "bad port"},
		{"port negative", "http://example.com:-1/", "bad port"},
		{"bad escape in path", "http://example.com/a%zz", `bad percent-encoding "%zz" in path`},
		{"truncated escape in path", "http://example.com/a%4", `bad percent-encoding "%4" in path`},
		{"lone percent in path", "http://example.com/100%", `bad percent-encoding "%" in path`},
		{"bad escape in query key", "http://example.com/?a%g=1", "in query"},
		{"bad escape in query value", "http://example.com/?a=%", "in query"},
		{"bad escape in dropped tracking param", "http://example.com/?utm_source=%x", "in query"},
		{"bad escape in hash-bang", "http://example.com/#!/%zz", "in fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := urlcanon.Canonical(tt.in)
			if err == nil {
				t.Fatalf("Canonical(%q) = %q, want error", tt.in, got)
			}
			if !errors.Is(err, urlcanon.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if got != "" {
				t.Errorf("Canonical(%q) returned %q with an error", tt.in, got)
			}
		})
	}
}

// TestCanonicalIgnored checks that the parts Canonical drops (userinfo and
// fragments other than hash-bangs) are not validated.
func TestCanonicalIgnored(t *testing.T) {
	for _, in := range []string{
		"http://example.com/#%zz",
		"http://example.com/#a#b c",
		"http://user:%zz@example.com/",
	} {
		if _, err := urlcanon.Canonical(in); err != nil {
			t.Errorf("Canonical(%q) error: %v", in, err)
		}
	}
}

func TestHost(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"https://example.com/board/thread/123", "example.com"},
		{"https://example.com:8443/a", "example.com"},
		{"HTTPS://User@Example.COM.:443/a", "example.com"},
		{"https://例え.jp/", "xn--r8jz45g.jp"},
		{"http://[2001:db8::1]:8080/", "2001:db8::1"},
		{"http://192.0.2.1/", "192.0.2.1"},
		{"ftp://example.com/", ""},
		{"not a url", ""},
	}
	for _, tt := range tests {
		if got := urlcanon.Host(tt.in); got != tt.want {
			t.Errorf("Host(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
