package urlcanon

import "strings"

const upperHex = "0123456789ABCDEF"

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isUnreserved reports whether c is an RFC 3986 unreserved character, whose
// percent-encoded and plain forms are equivalent.
func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// isSubDelim reports whether c is an RFC 3986 sub-delimiter.
func isSubDelim(c byte) bool {
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

// isPathChar reports whether c may appear unencoded in a path: pchar or "/".
func isPathChar(c byte) bool {
	return isUnreserved(c) || isSubDelim(c) || c == ':' || c == '@' || c == '/'
}

// isQueryChar reports whether c may appear unencoded in a query or fragment:
// pchar, "/" or "?".
func isQueryChar(c byte) bool {
	return isPathChar(c) || c == '?'
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// normalizeEscapes returns s with percent-encoding normalised: escapes of
// unreserved characters are decoded, the remaining escapes get upper-case hex,
// and bytes for which allowed reports false (spaces, non-ASCII bytes...) are
// encoded. A "%" not followed by two hex digits is an error naming where, the
// part of the URL that s is.
func normalizeEscapes(s, where string, allowed func(byte) bool) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) {
				return "", invalid("bad percent-encoding %q in %s", s[i:], where)
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", invalid("bad percent-encoding %q in %s", s[i:i+3], where)
			}
			d := hi<<4 | lo
			if isUnreserved(d) {
				b.WriteByte(d)
			} else {
				b.WriteByte('%')
				b.WriteByte(upperHex[d>>4])
				b.WriteByte(upperHex[d&15])
			}
			i += 2
			continue
		}
		if allowed(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String(), nil
}
