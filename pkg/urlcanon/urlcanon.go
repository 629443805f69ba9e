// Package urlcanon canonicalises reported http(s) URLs so that reports of the
// same item (a post or page) merge into one case.
//
// Canonical applies, in order:
//
//   - surrounding whitespace (including U+3000 IDEOGRAPHIC SPACE) is trimmed;
//     input longer than 8 KiB or containing control characters is rejected;
//   - backslashes before the query are read as slashes, as browsers do for
//     http(s) URLs, so that the host we record is the host a browser visits;
//   - the scheme is lower-cased and must be http or https, followed by "//";
//   - userinfo ("user:pass@") is dropped;
//   - the host is percent-decoded, mapped and converted to ASCII with UTS #46
//     as browsers do (lower case, full-width forms folded, IDN labels as
//     punycode), its trailing dot removed, and checked against DNS length
//     limits; IPv6 literals are kept in brackets in RFC 5952 form; zone
//     identifiers are rejected;
//   - default ports (80 for http, 443 for https) are removed, other ports are
//     written without leading zeros;
//   - percent-encoding is normalised in path, query and fragment: escapes of
//     unreserved characters (ALPHA DIGIT - . _ ~) are decoded, other escapes
//     get upper-case hex, and characters that may not appear raw (spaces,
//     non-ASCII bytes, "<", "|" and the like) are encoded;
//   - dot segments are resolved, empty segments (duplicate and trailing
//     slashes) removed; the empty path becomes "/";
//   - tracking parameters (utm_*, fbclid, gclid and the like, listed in
//     tracking.go) are removed, the remaining
//     parameters sorted by key, keeping the order of equal keys; an empty
//     query is dropped; "a" and "a=" stay distinct;
//   - the fragment is dropped unless it is a hash-bang route ("#!/path"),
//     which some sites use as the address of the item.
//
// Canonical is idempotent: Canonical(Canonical(x)) == Canonical(x), and its
// result always parses with net/url as an absolute http(s) URL.
package urlcanon

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// maxLength is the longest input, in bytes, that Canonical accepts. A
// canonical form longer than this (percent-encoding can grow the input) is
// rejected too, so that every canonical form is itself accepted.
const maxLength = 8 << 10

// ErrInvalid is wrapped by every error returned by Canonical.
var ErrInvalid = errors.New("invalid url")

// invalid returns an error wrapping ErrInvalid with a description of what is
// wrong. It never quotes the whole URL: reported URLs can be long and are
// themselves sensitive.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// clip shortens s for use in an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// Canonical returns the canonical form of a reported http(s) URL. The error,
// if any, wraps ErrInvalid and says what is wrong with the URL.
func Canonical(raw string) (string, error) {
	if len(raw) > maxLength {
		return "", invalid("longer than %d bytes", maxLength)
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", invalid("empty")
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return "", invalid("control character %U at byte %d", r, i)
		}
	}

	scheme, rest, err := splitScheme(s)
	if err != nil {
		return "", err
	}

	// Split off the fragment, then the query; what remains is the hierarchical
	// part "//authority/path", in which backslashes count as slashes.
	rest, fragment, _ := strings.Cut(rest, "#")
	rest, query, _ := strings.Cut(rest, "?")
	rest = strings.ReplaceAll(rest, `\`, "/")
	if !strings.HasPrefix(rest, "//") {
		return "", invalid("no host: %q must be followed by \"//\"", scheme+":")
	}
	authority, path := rest[2:], ""
	if i := strings.IndexByte(authority, '/'); i >= 0 {
		authority, path = authority[:i], authority[i:]
	}

	host, err := canonicalAuthority(scheme, authority)
	if err != nil {
		return "", err
	}
	if path, err = canonicalPath(path); err != nil {
		return "", err
	}
	if query, err = canonicalQuery(query); err != nil {
		return "", err
	}

	var b strings.Builder
	b.Grow(len(scheme) + len("://") + len(host) + len(path) + len("?") + len(query))
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	b.WriteString(path)
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
	}
	if len(fragment) > 1 && fragment[0] == '!' {
		f, err := normalizeEscapes(fragment, "fragment", isQueryChar)
		if err != nil {
			return "", err
		}
		b.WriteByte('#')
		b.WriteString(f)
	}
	if b.Len() > maxLength {
		return "", invalid("canonical form longer than %d bytes", maxLength)
	}
	return b.String(), nil
}

// Host returns the host of a URL as Canonical writes it, without port and
// without the brackets of an IPv6 literal, for grouping items by site. The
// argument is canonicalised first, so any form of the URL gives the same
// host; Host returns "" if the URL is invalid.
func Host(canonical string) string {
	c, err := Canonical(canonical)
	if err != nil {
		return ""
	}
	u, err := url.Parse(c)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// splitScheme returns the lower-cased scheme of s and the rest after the colon.
func splitScheme(s string) (scheme, rest string, err error) {
	i := strings.IndexAny(s, ":/?#")
	if i <= 0 || s[i] != ':' {
		return "", "", invalid("not an absolute URL (no scheme)")
	}
	scheme, rest = s[:i], s[i+1:]
	for j := 0; j < len(scheme); j++ {
		c := scheme[j]
		ok := isAlpha(c) || (j > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.'))
		if !ok {
			return "", "", invalid("not an absolute URL (bad scheme %q)", clip(scheme))
		}
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return "", "", invalid("scheme %q is not http or https", clip(scheme))
	}
	return scheme, rest, nil
}

// canonicalAuthority returns the canonical "host[:port]" of an authority,
// dropping any userinfo.
func canonicalAuthority(scheme, authority string) (string, error) {
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	host, port := authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", invalid("bad host: unclosed IPv6 literal %q", clip(authority))
		}
		host, port = authority[:end+1], authority[end+1:]
		if port != "" && port[0] != ':' {
			return "", invalid("bad host: unexpected %q after IPv6 literal", clip(port))
		}
	} else if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		host, port = authority[:i], authority[i:]
	}
	port = strings.TrimPrefix(port, ":")

	if host == "" {
		return "", invalid("no host")
	}
	host, err := canonicalHost(host)
	if err != nil {
		return "", err
	}
	if port == "" {
		return host, nil
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", invalid("bad port %q", clip(port))
	}
	if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
		return host, nil
	}
	return host + ":" + strconv.FormatUint(n, 10), nil
}

// hostProfile maps and converts host names the way WHATWG URL parsing does
// (UTS #46 non-transitional, CheckHyphens and UseSTD3ASCIIRules off), so that
// hosts browsers accept, such as "r3---sn-abc.example" or "a_b.example", are
// accepted. The ASCII result is checked by canonicalHost.
func hostProfile() *idna.Profile {
	return idna.New(
		idna.MapForLookup(),
		idna.BidiRule(),
		idna.Transitional(false),
		idna.StrictDomainName(false),
		idna.CheckHyphens(false),
	)
}

// canonicalHost returns the canonical form of a host: a bracketed IPv6
// literal or a lower-case ASCII domain name (or IPv4 address) without a
// trailing dot, within the DNS limits of 63 bytes a label and 253 a name.
func canonicalHost(host string) (string, error) {
	if strings.HasPrefix(host, "[") {
		lit := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if strings.Contains(lit, "%") {
			return "", invalid("bad host: IPv6 zone identifiers are not allowed")
		}
		addr, err := netip.ParseAddr(lit)
		if err != nil || !addr.Is6() {
			return "", invalid("bad host: %q is not an IPv6 address", clip(host))
		}
		return "[" + addr.String() + "]", nil
	}
	if strings.Contains(host, "%") {
		h, err := url.PathUnescape(host)
		if err != nil {
			return "", invalid("bad percent-encoding in host %q", clip(host))
		}
		host = h
	}
	if !utf8.ValidString(host) {
		return "", invalid("bad host %q: not valid UTF-8", clip(host))
	}
	a, err := hostProfile().ToASCII(host)
	if err != nil {
		return "", invalid("bad host %q: %s", clip(host), clip(err.Error()))
	}
	a = strings.TrimSuffix(a, ".")
	if a == "" {
		return "", invalid("no host")
	}
	if len(a) > 253 {
		return "", invalid("bad host %q: longer than 253 bytes", clip(host))
	}
	for label := range strings.SplitSeq(a, ".") {
		switch {
		case label == "":
			return "", invalid("bad host %q: empty label", clip(host))
		case len(label) > 63:
			return "", invalid("bad host %q: label longer than 63 bytes", clip(host))
		}
	}
	for i := 0; i < len(a); i++ {
		if c := a[i]; !isLower(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return "", invalid("bad host %q: character %q not allowed", clip(host), c)
		}
	}
	// Canonical must be idempotent, so a host whose punycode labels would not
	// convert back to themselves is rejected rather than recorded.
	if strings.Contains(a, "xn--") {
		if again, err := hostProfile().ToASCII(a); err != nil || again != a {
			return "", invalid("bad host %q: punycode does not round-trip", clip(host))
		}
	}
	return a, nil
}

// canonicalPath normalises percent-encoding, resolves dot segments and drops
// empty segments. The result starts with "/" and ends with one only if it is
// the root.
func canonicalPath(path string) (string, error) {
	p, err := normalizeEscapes(path, "path", isPathChar)
	if err != nil {
		return "", err
	}
	var segs []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, seg)
		}
	}
	return "/" + strings.Join(segs, "/"), nil
}

// param is one query parameter in canonical form.
type param struct {
	key, value string
	hasValue   bool // "a=" rather than "a"
}

// canonicalQuery normalises percent-encoding in each parameter, drops empty
// and tracking parameters and sorts the rest by key, keeping the order of
// parameters with equal keys. It returns "" if nothing is left.
func canonicalQuery(query string) (string, error) {
	if query == "" {
		return "", nil
	}
	var params []param
	for part := range strings.SplitSeq(query, "&") {
		if part == "" {
			continue
		}
		k, v, hasValue := strings.Cut(part, "=")
		key, err := normalizeEscapes(k, "query", isQueryChar)
		if err != nil {
			return "", err
		}
		value, err := normalizeEscapes(v, "query", isQueryChar)
		if err != nil {
			return "", err
		}
		if isTrackingParam(key) {
			continue
		}
		params = append(params, param{key: key, value: value, hasValue: hasValue})
	}
	slices.SortStableFunc(params, func(a, b param) int { return strings.Compare(a.key, b.key) })
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		if p.hasValue {
			b.WriteByte('=')
			b.WriteString(p.value)
		}
	}
	return b.String(), nil
}
