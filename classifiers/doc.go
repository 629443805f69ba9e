// Package classifiers sorts reported web text into the hotline's categories
// (違法情報, 重要犯罪密接関連情報, 自殺誘引等情報, 犯罪実行者募集情報, or none)
// and explains why.
//
// A [Classifier] analyses a text in these steps:
//
//  1. Normalisation (package textnorm): NFKC and width folding, separators
//     between characters removed, kana folded for matching, with a map back
//     to the original text.
//  2. Lexicon matching (package lexicon): every term of every sub-type and
//     every counter-evidence term (news, awareness, support, business,
//     fiction, food) is found in one pass. Overlapping terms of one group
//     count once, at the strongest weight. The matches become the evidence a
//     reviewer sees, with spans in the original text.
//  3. Morphological analysis, sentence by sentence (split on 。！？!?; the
//     normalisation has already joined words broken across lines), with
//     kagome's IPA dictionary and the lexicon's user dictionary, which
//     keeps the field's slang whole. The dictionary is loaded once per
//     process, from a pack embedded in the model directory (package
//     internal/dictpack: about 80 ms instead of most of a second), and
//     shared. The best path through the lattice is found by package
//     internal/viterbi: the same segmentation as kagome's tokenizer (its
//     tests compare the two on every corpus text and on random input), in
//     less than half the time, with no allocation per node.
//  4. Features, each named by a 64-bit hash: lemma unigrams and bigrams
//     (inflected words reduced to their base form by the model's lemma
//     table), character 2- and 3-grams of the folded text (digits folded,
//     handles, URLs, phone numbers and ids masked so that no placeholder is
//     learnt), character 3-grams of each sentence read aloud (words
//     written with kanji by their readings from the model's reading
//     table, so that 自殺しよう, じさつしよう and ジサツシヨウ share them),
//     lexicon sums per sub-type and per counter kind, sums of terms
//     only quoted or named (「即日即金」という投稿に注意), the rule score per
//     category, concepts and their pairs (concept.tsv: a weapon and a
//     transfer, violence and payment, death and togetherness, found in
//     any wording the concept lexicon knows), and cues: contact details,
//     money, dates, questions, and
//     the evasion itself (half-width kana, characters spelt apart, 例の,
//     意味深).
//  5. A small neural network over those features (each feature's
//     embedding row summed into one hidden layer of rectified units, then
//     a linear layer; see net.go) gives the category logits; a second one,
//     over the sub-types of every category, picks the sub-type within the
//     predicted category and has a say in the category too: each
//     category's logit gets a weight (chosen out-of-fold) times the
//     log-sum-exp of its sub-types' logits, which raised out-of-fold
//     macro-F1 by 0.005 and the test split's by 0.011 (means over three
//     seeds; two networks trained on different labels err differently). Both
//     are trained with label smoothing (a tenth of each target spread over
//     the classes), which over three seeds raised the blind set's macro-F1
//     from 0.978 to 0.983 (no hard negative flagged instead of one) and
//     the test split's from 0.947 to 0.949. The probabilities are calibrated
//     by temperature scaling. The networks know the features found
//     in at least three training rows, each with a row of its own (see
//     vocabulary); the others are left out. Hashing every feature into a
//     fixed space instead made features share rows, which cost 0.008 of
//     out-of-fold macro-F1 and 0.015 of sub-type accuracy.
//
// The model also carries lexicon entries derived at training from the
// lexicon files with the full dictionary: the kana reading of each term
// written in kanji (一緒に死にませんか is found in いっしょにしにませんか) and
// 当て字 of 死 (ﾀﾋ, 4). The classifier itself runs on the IPA dictionary
// without its contents (a third of the memory): the model's lemma table
// and reading table stand in for the base forms and readings it needs.
//
// A classification lists its evidence (lexicon and counter-evidence terms
// with their spans in the original text, the strongest model features, and
// for imminent cases the date or time found), flags a thin margin for
// review, and gets a queue priority: severity of the category, raised for
// imminent harm (suicide inducement naming a date or 今夜 or 決行; a
// critical crime naming one, and any violence for hire), then confidence.
//
// Without a model (see [Options]) the classifier falls back to the rule
// score of step 2: the weighted lexicon sum of each category, reduced by the
// counter-evidence that concerns it.
//
// The model is trained by [Train] (reproducibly: the same data and options
// give a byte-identical file) and measured by [Evaluate]. Training also
// sees, for half of the items, a copy respelt from the dictionary's
// readings as evaders write (in hiragana, in katakana, or in half-width
// katakana with the words apart), with its original's label, so that the
// model learns ordinary words in kana too and does not take a kana or
// half-width spelling alone for a sign of a positive (see augment.go; half
// rather than 30% of the items: out-of-fold macro-F1 0.9394 against 0.9384
// over three seeds, 0.9386 at 70%). The default model
// is embedded from model/model.bin; `go generate` retrains it from
// testdata/corpus/train.jsonl and dev.jsonl, which it first splits from
// testdata/corpus/src (see testdata/corpus/README.md).
package classifiers
