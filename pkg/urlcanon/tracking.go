package urlcanon

import "strings"

// isTrackingParam reports whether a query parameter, by its canonical key, is
// a tracking or share-attribution parameter that does not change which item
// a URL points at. This is the one list of such parameters; keys match
// case-sensitively, as they are sent.
//
// "s" is deliberately not in the list: on x.com/twitter.com it is a share
// tag, but elsewhere it is often the search query or the page itself.
func isTrackingParam(key string) bool {
	if strings.HasPrefix(key, "utm_") {
		return true // Google Analytics campaign parameters
	}
	switch key {
	case "fbclid", // Facebook
		"gclid", "dclid", "gbraid", "wbraid", // Google Ads
		"msclkid",          // Microsoft Ads
		"yclid",            // Yandex
		"igshid",           // Instagram
		"mc_cid", "mc_eid", // Mailchimp
		"_ga", "_gl", // Google Analytics cross-domain linker
		"ref_src", "ref_url", // X/Twitter embeds
		"spm", // Alibaba
		"si":  // YouTube, Spotify share id
		return true
	}
	return false
}
