package review

import (
	"fmt"
	"strings"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// LetterInput is what a request letter is drafted from.
type LetterInput struct {
	Case          hotline.Case
	RecipientKind string    // one of the hotline.Recipient… kinds
	Recipient     string    // e.g. the site's administrator address
	Date          time.Time // the letter's date; zero means now
	Sender        string    // the hotline's name; default インターネット・ホットラインセンター
}

// lawBasis is the guideline or law the letter cites for a category.
func lawBasis(c hotline.Category) string {
	switch c {
	case hotline.Illegal:
		return "法令に違反する情報 (違法情報)"
	case hotline.CriticalCrime:
		return "重要犯罪の実行に密接に関連する情報 (重要犯罪密接関連情報)"
	case hotline.SuicideInducement:
		return "人を自殺に誘引・勧誘する情報 (自殺誘引等情報)"
	case hotline.CriminalRecruitment:
		return "犯罪の実行者を募集する情報 (犯罪実行者募集情報)"
	}
	return c.Label()
}

func salutation(kind, recipient string) string {
	who := map[string]string{
		hotline.RecipientSiteAdmin: "サイト管理者",
		hotline.RecipientHosting:   "ホスティング事業者",
		hotline.RecipientINHOPE:    "INHOPE 加盟ホットライン",
		hotline.RecipientOther:     "ご担当者",
	}[kind]
	if who == "" {
		who = "ご担当者"
	}
	if recipient != "" {
		return recipient + "\n" + who + " 様"
	}
	return who + " 様"
}

// Letter drafts the Japanese deletion request letter for a case: plain
// text, for the analyst to review and send. The reported text itself is
// not quoted (it may be harmful): the letter names the URL and the
// category it was judged to be in.
func Letter(in LetterInput) string {
	c := in.Case
	cat, sub := c.Category, c.Subcategory
	if j := c.Judgement; j != nil {
		cat, sub = j.Category, j.Subcategory
	}
	date := in.Date
	if date.IsZero() {
		date = time.Now()
	}
	sender := in.Sender
	if sender == "" {
		sender = "インターネット・ホットラインセンター"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", date.In(JST()).Format("2006年1月2日"))
	fmt.Fprintf(&b, "%s\n\n", salutation(in.RecipientKind, in.Recipient))
	fmt.Fprintf(&b, "%s\n\n", sender)
	b.WriteString("情報の削除等のお願い\n\n")
	b.WriteString("平素より、インターネットの安全・安心な利用環境の確保にご協力いただき、誠にありがとうございます。\n\n")
	if in.RecipientKind == hotline.RecipientINHOPE {
		b.WriteString("当センターに寄せられた通報について、下記の情報が貴国において管理されるサーバ上にあると判断しましたので、INHOPE の手続きに従い、貴ホットラインにおける対応をお願いいたします。\n\n")
	} else {
		fmt.Fprintf(&b, "当センターに寄せられた通報について、下記の情報を確認したところ、%sに該当すると判断いたしました。つきましては、貴サイトの利用規約等に基づき、削除等の措置を講じていただきますようお願いいたします。\n\n", lawBasis(cat))
	}
	b.WriteString("記\n\n")
	fmt.Fprintf(&b, "1. 対象情報の URL\n   %s\n\n", c.URL)
	fmt.Fprintf(&b, "2. 該当する情報の種別\n   %s", cat.Label())
	if sub != "" {
		fmt.Fprintf(&b, " (%s)", sub)
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "3. 当センターでの確認日\n   %s\n\n", date.In(JST()).Format("2006年1月2日"))
	fmt.Fprintf(&b, "4. 管理番号\n   %s\n\n", c.ID)
	b.WriteString("なお、本依頼は削除等を強制するものではなく、貴サイトの判断による自主的な対応をお願いするものです。対応の結果について、ご連絡いただけますと幸いです。\n\n以上\n")
	return b.String()
}
