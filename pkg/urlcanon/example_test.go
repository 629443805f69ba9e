package urlcanon_test

import (
	"fmt"

	"github.com/hotline-jp/hotline/pkg/urlcanon"
)

func ExampleCanonical() {
	for _, raw := range []string{
		"https://Example.com:443/board/thread/123/?utm_source=x#res5",
		"https://example.com/board/thread/123",
		"https://例え.jp/スレ/1?b=2&a=1",
		"javascript:alert(1)",
	} {
		c, err := urlcanon.Canonical(raw)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(c)
	}
	// Output:
	// https://example.com/board/thread/123
	// https://example.com/board/thread/123
	// https://xn--r8jz45g.jp/%E3%82%B9%E3%83%AC/1?a=1&b=2
	// error: invalid url: scheme "javascript" is not http or https
}

func ExampleHost() {
	fmt.Println(urlcanon.Host("https://User@WWW.Example.com:8443/a"))
	// Output: www.example.com
}
