package lexicon

import (
	"bufio"
	"strings"
	"testing"

	"github.com/ikawaha/kagome-dict/dict"
	"github.com/ikawaha/kagome-dict/ipa"
	"github.com/ikawaha/kagome/v2/tokenizer"
)

// userDictSurfaces returns the surfaces of the embedded user dictionary.
func userDictSurfaces(t *testing.T) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(UserDict())
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.SplitN(line, ",", 2)[0])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUserDictFormat(t *testing.T) {
	// kagome's own loader: exactly four comma-separated columns, as many
	// readings as segments, no duplicate surface.
	recs, err := dict.NewUserDicRecords(UserDict())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if len(r.Tokens) != 1 || r.Tokens[0] != r.Text {
			t.Errorf("%q: want the whole surface as its one segment, got %q", r.Text, r.Tokens)
		}
		if r.Pos != "カスタム名詞" {
			t.Errorf("%q: POS %q", r.Text, r.Pos)
		}
	}
	if len(recs) < 60 {
		t.Errorf("only %d user dictionary entries", len(recs))
	}
	if _, err := KagomeUserDict(); err != nil {
		t.Fatal(err)
	}
}

// Every user-dictionary word is (part of) a lexicon term, so the tokenizer
// and the lexicon agree on the vocabulary.
func TestUserDictInLexicon(t *testing.T) {
	l := loadDefault(t, testFold)
	for _, s := range userDictSurfaces(t) {
		k := testFold(s)
		found := false
		for _, e := range l.entries {
			if strings.Contains(e.Key, k) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("user dictionary word %q is in no lexicon term", s)
		}
	}
}

func TestUserDictTokenizes(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the IPA dictionary")
	}
	ud, err := KagomeUserDict()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.New(ipa.Dict(), tokenizer.UserDict(ud), tokenizer.OmitBosEos())
	if err != nil {
		t.Fatal(err)
	}
	one := func(sentence, word string) {
		t.Helper()
		var surfaces []string
		for _, tk := range tok.Tokenize(sentence) {
			surfaces = append(surfaces, tk.Surface)
			if tk.Surface == word {
				if tk.Class != tokenizer.USER {
					t.Errorf("%q: token %q is not from the user dictionary", sentence, word)
				}
				return
			}
		}
		t.Errorf("%q: %q is not one token: %q", sentence, word, surfaces)
	}
	one("闇バイトの募集に応募してしまった", "闇バイト")
	one("受け子と出し子を募集中、ホワイト案件です", "受け子")
	one("受け子と出し子を募集中、ホワイト案件です", "出し子")
	one("受け子と出し子を募集中、ホワイト案件です", "ホワイト案件")
	one("即日即金の高額報酬", "即日即金")
	for _, s := range userDictSurfaces(t) {
		one("「"+s+"」について", s)
	}

	// Without the user dictionary the IPA dictionary splits the slang,
	// which is why the user dictionary exists.
	plain, err := tokenizer.New(ipa.Dict(), tokenizer.OmitBosEos())
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range plain.Tokenize("闇バイトの募集") {
		if tk.Surface == "闇バイト" {
			t.Log("note: the IPA dictionary alone already keeps 闇バイト whole")
		}
	}
}
