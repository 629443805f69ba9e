package lexicon_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/hotline-jp/hotline/classifiers/lexicon"
)

func ExampleLexicon_Find() {
	// The classifier passes its own normaliser (textnorm.Key); a plain
	// lower-casing one stands in for it here.
	key := strings.ToLower
	lex, err := lexicon.Load(lexicon.Default(), key)
	if err != nil {
		log.Fatal(err)
	}
	text := key("受け子募集、闇バイトではありません")
	lex.Find(text, func(m lexicon.Match) {
		if m.Entry.Category == "criminal_recruitment" {
			fmt.Printf("%s %s/%s %.1f\n", text[m.Start:m.End], m.Entry.Category, m.Entry.Subcategory, m.Entry.Weight)
		}
	})
	// Output:
	// 受け子 criminal_recruitment/fraud_runner 2.5
	// 受け子募集 criminal_recruitment/fraud_runner 3.0
	// 闇バイト criminal_recruitment/generic 1.8
	// 闇バイトではありません criminal_recruitment/generic 2.5
}
