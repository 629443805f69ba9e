package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/auth"
	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/review"
	"github.com/hotline-jp/hotline/pkg/store"
)

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

type optGroup struct {
	Label   string
	Options []option
}

// judgementGroups are the choices of a decision: each category, then its
// sub-types.
func judgementGroups(selected string) []optGroup {
	var out []optGroup
	for _, c := range hotline.Categories() {
		g := optGroup{Label: c.Label()}
		g.Options = append(g.Options, option{string(c), c.Label() + " (種別なし)", selected == string(c)})
		for _, sub := range hotline.Subcategories(c) {
			v := string(c) + "/" + sub
			g.Options = append(g.Options, option{v, c.Label() + " › " + subLabel(sub), selected == v})
		}
		out = append(out, g)
	}
	return out
}

func options(selected string, pairs ...string) []option {
	var out []option
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, option{pairs[i], pairs[i+1], pairs[i] == selected})
	}
	return out
}

func categoryOptions(selected string) []option {
	out := []option{{"", "すべて", selected == ""}}
	for _, c := range hotline.Categories() {
		out = append(out, option{string(c), c.Label(), selected == string(c)})
	}
	return out
}

func subOptions(selected string) []option {
	out := []option{{"", "すべて", selected == ""}}
	for _, c := range hotline.Categories() {
		for _, sub := range hotline.Subcategories(c) {
			out = append(out, option{sub, c.Label() + " › " + subLabel(sub), selected == sub})
		}
	}
	return out
}

type queueRow struct {
	hotline.Case
	Why     []string
	Claimed bool
}

type queueData struct {
	Rows                               []queueRow
	Total, From, To                    int
	Prev, Next                         string
	Category, Sub, Status, Source, Age []option
	Judgements                         []optGroup
	CanAct                             bool
}

// ageFilter reads the queue's age filter: first reported at least (older)
// or at most (newer) this long ago.
func ageFilter(a string) (d time.Duration, older, ok bool) {
	switch a {
	case "new1h":
		return time.Hour, false, true
	case "new1d":
		return 24 * time.Hour, false, true
	case "old4h":
		return 4 * time.Hour, true, true
	case "old1d":
		return 24 * time.Hour, true, true
	case "old7d":
		return 7 * 24 * time.Hour, true, true
	}
	return 0, false, false
}

func (s *Server) queue(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	v := r.URL.Query()
	q := store.Query{Limit: 50}
	status := v.Get("status")
	if status == "" {
		status = string(hotline.StatusNew)
	}
	if status != "all" {
		if !hotline.ValidStatus(hotline.Status(status)) {
			s.fail(w, r, me, http.StatusBadRequest, "不明な状態です。")
			return
		}
		q.Status = hotline.Status(status)
	}
	if c := v.Get("category"); c != "" {
		cat, err := hotline.ParseCategory(c)
		if err != nil {
			s.fail(w, r, me, http.StatusBadRequest, "不明な分類です。")
			return
		}
		q.Category = cat
	}
	if sub := v.Get("sub"); sub != "" {
		ok := false
		for _, c := range hotline.Categories() {
			ok = ok || (hotline.ValidSubcategory(c, sub))
		}
		if !ok || len(sub) > 64 {
			s.fail(w, r, me, http.StatusBadRequest, "不明な種別です。")
			return
		}
		q.Subcategory = sub
	}
	switch src := hotline.Source(v.Get("source")); src {
	case "", hotline.SourcePublic, hotline.SourceCrawler:
		q.Source = src
	default:
		s.fail(w, r, me, http.StatusBadRequest, "不明な通報元です。")
		return
	}
	if a := v.Get("age"); a != "" {
		d, older, ok := ageFilter(a)
		if !ok {
			s.fail(w, r, me, http.StatusBadRequest, "不明な経過時間です。")
			return
		}
		if older {
			q.ReportedBefore = time.Now().Add(-d)
		} else {
			q.ReportedSince = time.Now().Add(-d)
		}
	}
	if o := v.Get("offset"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 || n > 1<<30 {
			s.fail(w, r, me, http.StatusBadRequest, "ページ番号が不正です。")
			return
		}
		q.Offset = n
	}
	page, err := s.cfg.Store.Cases(r.Context(), q)
	if err != nil {
		s.internal(w, r, me, err)
		return
	}
	now := time.Now()
	d := queueData{Total: page.Total, From: q.Offset + 1, To: q.Offset + len(page.Cases), CanAct: me.Role.CanAct(),
		Category: categoryOptions(v.Get("category")), Sub: subOptions(v.Get("sub")),
		Status:     options(status, "new", "未処理", "reviewed", "判定済", "requested", "依頼中", "closed", "完了", "all", "すべて"),
		Source:     options(v.Get("source"), "", "すべて", "public", "一般通報", "crawler", "クローラ"),
		Age:        options(v.Get("age"), "", "すべて", "new1h", "1時間以内", "new1d", "24時間以内", "old4h", "4時間以上前", "old1d", "1日以上前", "old7d", "7日以上前"),
		Judgements: judgementGroups(""),
	}
	for _, c := range page.Cases {
		d.Rows = append(d.Rows, queueRow{Case: c, Why: topEvidence(c.Evidence, 3),
			Claimed: c.ClaimedBy != "" && c.ClaimedUntil != nil && c.ClaimedUntil.After(now)})
	}
	link := func(off int) string {
		u := url.Values{}
		for k, vs := range v {
			if k != "offset" && len(vs) > 0 {
				u.Set(k, vs[0])
			}
		}
		u.Set("offset", strconv.Itoa(off))
		return "/?" + u.Encode()
	}
	if q.Offset > 0 {
		d.Prev = link(max(0, q.Offset-q.Limit))
	}
	if q.Offset+len(page.Cases) < page.Total {
		d.Next = link(q.Offset + q.Limit)
	}
	if len(page.Cases) == 0 {
		d.From = 0
	}
	s.render(w, http.StatusOK, "queue", view{Title: "審査キュー", Me: me, Nav: "queue", Notice: notice(r), Data: d})
}

type reportView struct {
	hotline.CaseReport
	Segments []Segment
	Contact  string
	Scores   []scoreView
}

type scoreView struct {
	Label string
	Score float64
}

type caseData struct {
	Case        hotline.Case
	Reports     []reportView
	Why         []string
	Actions     []hotline.Action
	Similar     review.Similar
	Claimed     bool
	Mine        bool
	CanAct      bool
	CanConfirm  bool
	CanExport   bool
	SeeContacts bool
	FourEyes    bool // a confirmation is pending before any request
	Judgements  []optGroup
	RecipKinds  []option
	Methods     []option
	Outcomes    []option
	Letter      string
	Recipient   string
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	s.showCase(w, r, me, http.StatusOK, "")
}

func (s *Server) showCase(w http.ResponseWriter, r *http.Request, me auth.Principal, code int, errMsg string) {
	id := r.PathValue("id")
	if !hotline.ValidCaseID(id) {
		s.fail(w, r, me, http.StatusNotFound, "案件が見つかりません。")
		return
	}
	ctx := r.Context()
	c, err := s.cfg.Store.Case(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, me, http.StatusNotFound, "案件が見つかりません。")
		return
	}
	if err != nil {
		s.internal(w, r, me, err)
		return
	}
	acts, err := s.cfg.Store.Actions(ctx, id)
	if err != nil {
		s.internal(w, r, me, err)
		return
	}
	similar, err := s.cfg.Review.Similar(ctx, c)
	if err != nil {
		s.internal(w, r, me, err)
		return
	}
	now := time.Now()
	pol := s.cfg.Review.Policy()
	d := caseData{Case: c, Actions: acts, Similar: similar, Why: topEvidence(c.Evidence, 5),
		Claimed:     c.ClaimedBy != "" && c.ClaimedUntil != nil && c.ClaimedUntil.After(now),
		CanAct:      me.Role.CanAct(),
		CanConfirm:  me.Role.CanSupervise(),
		CanExport:   me.Role.CanExport(),
		SeeContacts: me.Role.CanSupervise(),
	}
	d.Mine = d.Claimed && c.ClaimedBy == me.Name
	if j := c.Judgement; j != nil && j.ConfirmedBy == "" && pol.NeedsFourEyes(j.Category) {
		d.FourEyes = true
	}
	sel := string(c.Category)
	if c.Subcategory != "" {
		sel += "/" + c.Subcategory
	}
	if j := c.Judgement; j != nil {
		sel = string(j.Category)
		if j.Subcategory != "" {
			sel += "/" + j.Subcategory
		}
	}
	d.Judgements = judgementGroups(sel)
	kind := r.FormValue("recipient_kind")
	if kind == "" {
		kind = hotline.RecipientSiteAdmin
	}
	d.Recipient = strings.TrimSpace(r.FormValue("recipient"))
	if len(d.Recipient) > 500 {
		d.Recipient = d.Recipient[:0]
	}
	d.RecipKinds = options(kind, hotline.RecipientSiteAdmin, recipientLabel(hotline.RecipientSiteAdmin),
		hotline.RecipientHosting, recipientLabel(hotline.RecipientHosting),
		hotline.RecipientINHOPE, recipientLabel(hotline.RecipientINHOPE),
		hotline.RecipientOther, recipientLabel(hotline.RecipientOther))
	d.Methods = options(r.FormValue("method"), "email", "電子メール", "form", "問い合わせフォーム", "letter", "郵送", "inhope", "INHOPE 経由", "other", "その他")
	d.Outcomes = options("", hotline.OutcomeRemoved, outcomeLabel(hotline.OutcomeRemoved),
		hotline.OutcomeNotRemoved, outcomeLabel(hotline.OutcomeNotRemoved),
		hotline.OutcomeRemovedBeforeRequest, outcomeLabel(hotline.OutcomeRemovedBeforeRequest))
	d.Letter = review.Letter(review.LetterInput{Case: c, RecipientKind: kind, Recipient: d.Recipient, Date: now})
	for _, rep := range c.Reports {
		rv := reportView{CaseReport: rep, Segments: Segments(rep.Text, rep.Classification.Evidence)}
		for _, cat := range hotline.Categories() {
			if sc, ok := rep.Classification.Scores[cat]; ok {
				rv.Scores = append(rv.Scores, scoreView{cat.Label(), sc})
			}
		}
		if d.SeeContacts {
			if rv.Contact, err = s.cfg.Store.Contact(ctx, rep.ID); err != nil {
				s.internal(w, r, me, err)
				return
			}
		}
		d.Reports = append(d.Reports, rv)
	}
	title := "案件 " + c.Host
	s.render(w, code, "case", view{Title: title, Me: me, Nav: "queue", Error: errMsg, Notice: notice(r), Data: d})
}

// notices are the fixed messages a redirect may ask for (never free text
// from the query).
func notice(r *http.Request) string {
	return map[string]string{
		"claim": "担当しました (15分間。操作のたびに延長されます)。", "release": "担当を解除しました。",
		"decide": "判定を記録しました。", "confirm": "判定を確認しました。", "refer": "警察への通報を記録しました。",
		"request": "削除依頼を記録しました。", "outcome": "結果を記録しました。", "note": "メモを記録しました。",
		"bulk": "一括操作を記録しました。", "user": "ユーザーを保存しました。", "revoked": "キーを無効にしました。",
	}[r.URL.Query().Get("done")]
}

// parseJST reads a datetime-local form value as JST; empty is zero.
func parseJST(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", v, review.JST())
	return t.UTC(), err == nil
}

// input reads a case action's form.
func input(action string, f url.Values) (review.Input, string) {
	in := review.Input{Note: f.Get("note")}
	switch action {
	case "claim":
		in.Kind = hotline.ActClaim
	case "release":
		in.Kind = hotline.ActRelease
	case "decide":
		in.Kind = hotline.ActDecision
		cat, sub, _ := strings.Cut(f.Get("judgement"), "/")
		c, err := hotline.ParseCategory(cat)
		if err != nil || !hotline.ValidSubcategory(c, sub) {
			return in, "分類を選んでください。"
		}
		in.Category, in.Subcategory = c, sub
	case "confirm":
		in.Kind = hotline.ActConfirmation
	case "refer":
		in.Kind = hotline.ActReferral
	case "request":
		in.Kind = hotline.ActRequest
		sent, ok := parseJST(f.Get("sent_at"))
		if !ok {
			return in, "送信日時が不正です。"
		}
		in.Request = &hotline.DeletionRequest{RecipientKind: f.Get("recipient_kind"), Recipient: strings.TrimSpace(f.Get("recipient")),
			Method: f.Get("method"), SentAt: sent}
		if in.Request.Recipient == "" {
			return in, "依頼先を入力してください。"
		}
	case "outcome":
		in.Kind = hotline.ActOutcome
		seen, ok := parseJST(f.Get("seen_at"))
		if !ok {
			return in, "確認日時が不正です。"
		}
		in.Outcome = &hotline.Outcome{Result: f.Get("result"), SeenAt: seen}
	case "note":
		in.Kind = hotline.ActNote
		if strings.TrimSpace(in.Note) == "" {
			return in, "メモを入力してください。"
		}
	default:
		return in, "不明な操作です。"
	}
	if len(in.Note) > 4000 {
		return in, "メモは4000バイトまでです。"
	}
	return in, ""
}

// message turns a workflow error into what the analyst reads, with its
// status code.
func message(err error) (int, string) {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	switch {
	case errors.Is(err, review.ErrForbidden):
		return http.StatusForbidden, "この操作の権限がありません (" + msg + ")。"
	case errors.Is(err, review.ErrConflict), errors.Is(err, hotline.ErrClaimed):
		return http.StatusConflict, msg
	case errors.Is(err, hotline.ErrStale):
		return http.StatusConflict, "この案件は他の担当者が先に更新しました。最新の状態を確認してからやり直してください。"
	case errors.Is(err, hotline.ErrInvalidAction):
		return http.StatusBadRequest, "この操作は案件の現在の状態に合いません: " + msg
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "案件が見つかりません。"
	}
	return 0, ""
}

func (s *Server) caseAction(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	action := r.PathValue("action")
	in, bad := input(action, r.PostForm)
	if bad != "" {
		s.showCase(w, r, me, http.StatusBadRequest, bad)
		return
	}
	id := r.PathValue("id")
	if _, err := s.cfg.Review.Do(r.Context(), review.Actor{Name: me.Name, Role: me.Role}, in, id); err != nil {
		if code, msg := message(err); code != 0 {
			s.showCase(w, r, me, code, msg)
			return
		}
		s.internal(w, r, me, err)
		return
	}
	http.Redirect(w, r, "/cases/"+id+"?done="+action, http.StatusSeeOther)
}

func (s *Server) bulk(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	ids := r.PostForm["case_id"]
	if len(ids) == 0 {
		s.fail(w, r, me, http.StatusBadRequest, "案件を選んでください。")
		return
	}
	in, bad := input(r.PostFormValue("action"), r.PostForm)
	if bad != "" {
		s.fail(w, r, me, http.StatusBadRequest, bad)
		return
	}
	if _, err := s.cfg.Review.Do(r.Context(), review.Actor{Name: me.Name, Role: me.Role}, in, ids...); err != nil {
		if code, msg := message(err); code != 0 {
			s.fail(w, r, me, code, "一括操作は記録されませんでした (すべての案件で成功する場合のみ記録します): "+msg)
			return
		}
		s.internal(w, r, me, err)
		return
	}
	http.Redirect(w, r, "/?done=bulk", http.StatusSeeOther)
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, me auth.Principal, err error) {
	s.log.Error("page failed", zap.String("path", r.URL.Path), zap.Error(err))
	s.fail(w, r, me, http.StatusServiceUnavailable, "処理を完了できませんでした。しばらくしてからもう一度お試しください。")
}

type recheckData struct {
	Due    []review.Due
	Days   int
	Now    time.Time
	CanAct bool
}

func (s *Server) rechecks(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	due, err := s.cfg.Review.RecheckDue(r.Context())
	if err != nil {
		s.internal(w, r, me, err)
		return
	}
	d := recheckData{Due: due, Days: int(s.cfg.Review.Policy().RecheckAfter.Hours() / 24), CanAct: me.Role.CanAct()}
	s.render(w, http.StatusOK, "rechecks", view{Title: "再確認", Me: me, Nav: "rechecks", Data: d})
}

type dashData struct {
	review.Dashboard
	Analysts []string
	Grid     [][]int // analyst × day
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, me auth.Principal) {
	if !me.Role.CanExport() {
		s.fail(w, r, me, http.StatusForbidden, "ダッシュボードは監督者と監査員のみ閲覧できます。")
		return
	}
	db, err := s.cfg.Review.Dashboard(r.Context(), 7)
	if err != nil {
		s.internal(w, r, me, err)
		return
	}
	d := dashData{Dashboard: db}
	idx := map[string]int{}
	for _, ad := range db.Decisions {
		if _, ok := idx[ad.Actor]; !ok {
			idx[ad.Actor] = len(d.Analysts)
			d.Analysts = append(d.Analysts, ad.Actor)
			d.Grid = append(d.Grid, make([]int, len(db.Days)))
		}
		for j, day := range db.Days {
			if day == ad.Day {
				d.Grid[idx[ad.Actor]][j] = ad.Decisions
			}
		}
	}
	s.render(w, http.StatusOK, "dashboard", view{Title: "ダッシュボード", Me: me, Nav: "dashboard", Data: d})
}
