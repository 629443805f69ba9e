package report

import (
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// OutOfScope is the reporting group of items whose category was not part
// of the published taxonomy on the date that counts (e.g. online gambling
// judged before 2025-09-25). It appears in a report only when it has items,
// so that nothing is silently dropped.
const OutOfScope = "out_of_scope"

// The dates of the taxonomy (DOMAIN.md): the first day of each regime,
// Japan time.
func dateCriticalCrime() time.Time    { return time.Date(2023, 2, 15, 0, 0, 0, 0, Japan()) }
func dateRecruitment() time.Time      { return time.Date(2023, 9, 29, 0, 0, 0, 0, Japan()) }
func dateRecruitToIllegal() time.Time { return time.Date(2025, 3, 1, 0, 0, 0, 0, Japan()) }
func dateGambling() time.Time         { return time.Date(2025, 9, 25, 0, 0, 0, 0, Japan()) }

// Regime is one version of the reporting taxonomy.
type Regime struct {
	Since time.Time // first day in force (Japan time); zero for the first
	Note  string    // what it changed, in Japanese, for the report's notes
}

// Regimes returns the regimes in the order they came into force.
func Regimes() []Regime {
	return []Regime{
		{Note: "違法情報・自殺誘引等情報"},
		{Since: dateCriticalCrime(), Note: "重要犯罪密接関連情報を新設"},
		{Since: dateRecruitment(), Note: "犯罪実行者募集情報を重要犯罪密接関連情報の一類型として追加"},
		{Since: dateRecruitToIllegal(), Note: "犯罪実行者募集情報を違法情報に移行（無登録貸金業・拳銃等の所持の誘引も違法情報に追加）"},
		{Since: dateGambling(), Note: "違法オンラインギャンブル等を違法情報に追加"},
	}
}

// RegimeAt returns the index in Regimes of the regime in force at t.
func RegimeAt(t time.Time) int {
	d := day(t)
	i := 0
	for j, r := range Regimes() {
		if !r.Since.IsZero() && !d.Before(r.Since) {
			i = j
		}
	}
	return i
}

// GroupOf returns the reporting group (illegal, critical_crime,
// suicide_inducement or OutOfScope) an item of category c and sub-type sub
// is counted under when the date that counts is t; "" for none or an
// unknown category, which are not counted.
func GroupOf(c hotline.Category, sub string, t time.Time) string {
	d := day(t)
	switch c {
	case hotline.Illegal:
		switch sub {
		case "gambling":
			if d.Before(dateGambling()) {
				return OutOfScope
			}
		case "unregistered_lending", "firearm_incitement":
			if d.Before(dateRecruitToIllegal()) {
				return OutOfScope
			}
		}
		return string(hotline.Illegal)
	case hotline.CriticalCrime:
		if d.Before(dateCriticalCrime()) {
			return OutOfScope
		}
		return string(hotline.CriticalCrime)
	case hotline.CriminalRecruitment:
		switch {
		case d.Before(dateRecruitment()):
			return OutOfScope
		case d.Before(dateRecruitToIllegal()):
			return string(hotline.CriticalCrime)
		}
		return string(hotline.Illegal)
	case hotline.SuicideInducement:
		return string(hotline.SuicideInducement)
	}
	return ""
}

// groupOrder is the order of the top rows.
func groupOrder() []string {
	return []string{string(hotline.Illegal), string(hotline.CriticalCrime), string(hotline.SuicideInducement), OutOfScope}
}

// groupLabel is the Japanese label of a reporting group.
func groupLabel(g string) string {
	if g == OutOfScope {
		return "当時の区分外"
	}
	return hotline.Category(g).Label()
}

// subtypeLabels are the Japanese names of the sub-types.
func subtypeLabels() map[string]string {
	return map[string]string{
		"drugs":                "規制薬物の広告等",
		"bank_account":         "預貯金通帳等の譲渡等の誘引",
		"phone_sim":            "携帯電話等の無断有償譲渡等の誘引",
		"credentials":          "識別符号の不正要求・提供",
		"prostitution":         "売春周旋目的の誘引",
		"obscene":              "わいせつ電磁的記録等の陳列",
		"child_abuse_material": "児童ポルノ公然陳列",
		"unregistered_lending": "無登録貸金業",
		"gambling":             "違法オンラインギャンブル",
		"firearm_incitement":   "拳銃等の所持の誘引",
		"violence_for_hire":    "殺人・強盗・放火等の請負・仲介",
		"firearm_transfer":     "拳銃等の譲渡",
		"weapon_making":        "爆発物・銃砲等の製造",
		"organ_trade":          "臓器売買",
		"human_trafficking":    "人身売買",
		"toxic_gas":            "硫化水素ガスの製造",
		"stalking":             "つきまとい等",
		"group_suicide":        "集団自殺の呼びかけ",
		"assistance":           "自殺の幇助の申し出",
		"encouragement":        "自殺の誘引",
		"fraud_runner":         "詐欺の受け子・出し子等",
		"robbery_crew":         "強盗等の実行役",
		"courier":              "運び役",
		"generic":              "その他の募集",
		"":                     "細分類なし",
	}
}

// subtypeLabel is the Japanese label of a sub-type (its id if unknown).
func subtypeLabel(sub string) string {
	if l, ok := subtypeLabels()[sub]; ok {
		return l
	}
	return sub
}

// unspecified is the row id of items judged without a sub-type.
const unspecified = "unspecified"
