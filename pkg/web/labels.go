package web

import (
	"github.com/hotline-jp/hotline/pkg/hotline"
)

// The Japanese names the pages show for the domain's ids.

func statusLabel(s hotline.Status) string {
	switch s {
	case hotline.StatusNew:
		return "未処理"
	case hotline.StatusReviewed:
		return "判定済"
	case hotline.StatusRequested:
		return "依頼中"
	case hotline.StatusClosed:
		return "完了"
	}
	return string(s)
}

func kindLabel(k hotline.ActionKind) string {
	switch k {
	case hotline.ActClaim:
		return "担当"
	case hotline.ActRelease:
		return "担当解除"
	case hotline.ActDecision:
		return "判定"
	case hotline.ActConfirmation:
		return "確認 (四つの目)"
	case hotline.ActReferral:
		return "警察へ通報"
	case hotline.ActRequest:
		return "削除依頼"
	case hotline.ActOutcome:
		return "結果確認"
	case hotline.ActNote:
		return "メモ"
	}
	return string(k)
}

func recipientLabel(k string) string {
	switch k {
	case hotline.RecipientSiteAdmin:
		return "サイト管理者"
	case hotline.RecipientHosting:
		return "ホスティング事業者"
	case hotline.RecipientINHOPE:
		return "海外ホットライン (INHOPE)"
	case hotline.RecipientOther:
		return "その他"
	}
	return k
}

func outcomeLabel(r string) string {
	switch r {
	case hotline.OutcomeRemoved:
		return "削除済"
	case hotline.OutcomeNotRemoved:
		return "未削除"
	case hotline.OutcomeRemovedBeforeRequest:
		return "依頼前に削除"
	}
	return r
}

func sourceLabel(s hotline.Source) string {
	switch s {
	case hotline.SourcePublic:
		return "一般通報"
	case hotline.SourceCrawler:
		return "クローラ"
	}
	return string(s)
}

func subLabel(sub string) string {
	names := map[string]string{
		"drugs": "薬物", "bank_account": "預貯金通帳等の譲渡", "phone_sim": "携帯電話・SIMの譲渡",
		"credentials": "ID・パスワード等の売買", "prostitution": "売春の勧誘", "obscene": "わいせつ物",
		"child_abuse_material": "児童ポルノ", "unregistered_lending": "無登録貸金", "gambling": "賭博",
		"firearm_incitement": "拳銃等の譲渡の誘引",
		"violence_for_hire":  "殺人・傷害等の請負", "firearm_transfer": "拳銃等の譲渡", "weapon_making": "爆発物・銃砲の製造",
		"organ_trade": "臓器売買", "human_trafficking": "人身取引", "toxic_gas": "有害ガスの製造", "stalking": "ストーカー・所在調査",
		"group_suicide": "集団自殺の呼びかけ", "assistance": "自殺の幇助", "encouragement": "自殺の勧誘",
		"fraud_runner": "特殊詐欺の受け子・出し子", "robbery_crew": "強盗の実行役", "courier": "運び屋", "generic": "闇バイト (一般)",
		"news": "報道", "awareness": "注意喚起", "job_ad": "正規の求人", "distress": "悩みの吐露", "support": "支援・相談",
		"fiction": "創作", "food": "料理", "everyday": "日常",
	}
	if n, ok := names[sub]; ok {
		return n
	}
	return sub
}
