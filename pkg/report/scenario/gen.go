package scenario

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
	"github.com/hotline-jp/hotline/pkg/urlcanon"
)

func japan() *time.Location { return time.FixedZone("Asia/Tokyo", 9*60*60) }

// jst is a Japan-time instant.
func jst(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, japan())
}

// host is a site items are found on; resp is how likely its operators are
// to take an item down.
type host struct {
	name     string
	weight   float64
	resp     float64
	overseas bool
	hosting  string
}

func hosts() []host {
	return []host{
		{"keijiban-a.example", 0.22, 0.94, false, "hosting-1.example"},
		{"sns-b.example", 0.25, 0.88, false, "hosting-2.example"},
		{"jobboard-c.example", 0.10, 0.91, false, "hosting-1.example"},
		{"uploader-d.example", 0.08, 0.74, false, "hosting-3.example"},
		{"blog-e.example", 0.08, 0.86, false, "hosting-2.example"},
		{"forum-f.example", 0.10, 0.70, false, "hosting-3.example"},
		{"classified-g.example", 0.07, 0.81, false, "hosting-1.example"},
		{"video-h.example", 0.04, 0.66, false, "hosting-2.example"},
		{"overseas-i.example", 0.04, 0.45, true, "offshore-host.example"},
		{"chat-j.example", 0.02, 0.55, false, "hosting-3.example"},
	}
}

// weighted is a sub-type and its share.
type weighted struct {
	sub string
	w   float64
}

// gen generates cases deterministically.
type gen struct {
	rng     *rand.Rand
	prefix  string
	n       int
	cases   []Case
	hosts   []host
	horizon time.Time // actions after it are not generated (zero: no limit)
}

func newGen(prefix string, seed uint64) *gen {
	return &gen{rng: rand.New(rand.NewPCG(seed, 0x686f746c696e65)), prefix: prefix, hosts: hosts()}
}

func (g *gen) uniform(a, b float64) float64 { return a + g.rng.Float64()*(b-a) }

// between is a uniform instant in [a, b).
func (g *gen) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(g.rng.Int64N(int64(b.Sub(a)))))
}

func days(d float64) time.Duration { return time.Duration(d * 24 * float64(time.Hour)) }

func (g *gen) pickSub(subs []weighted) string {
	total := 0.0
	for _, s := range subs {
		total += s.w
	}
	x := g.rng.Float64() * total
	for _, s := range subs {
		if x < s.w {
			return s.sub
		}
		x -= s.w
	}
	return subs[len(subs)-1].sub
}

// pickHost picks a host, weighted towards responsive hosts for items that
// come down and towards the others for items that stay up.
func (g *gen) pickHost(removed bool) host {
	total := 0.0
	w := func(h host) float64 {
		if removed {
			return h.weight * h.resp
		}
		return h.weight * (1 - h.resp)
	}
	for _, h := range g.hosts {
		total += w(h)
	}
	x := g.rng.Float64() * total
	for _, h := range g.hosts {
		if x < w(h) {
			return h
		}
		x -= w(h)
	}
	return g.hosts[0]
}

func (g *gen) analyst() string    { return fmt.Sprintf("analyst%02d", 1+g.rng.IntN(8)) }
func (g *gen) supervisor() string { return fmt.Sprintf("supervisor%d", 1+g.rng.IntN(3)) }

// text is the placeholder text of a report.
func text(c hotline.Category, sub string) string {
	if c == hotline.None || c == "" {
		return "【デモ】対象外の投稿（サンプル）"
	}
	name := c.Label()
	if l := subLabel(sub); l != "" {
		name = l
	}
	return "【デモ】" + name + "の疑い（サンプル）"
}

func subLabel(sub string) string {
	switch sub {
	case "drugs":
		return "規制薬物の広告"
	case "bank_account":
		return "預貯金通帳の譲渡の誘引"
	case "phone_sim":
		return "携帯電話の無断譲渡の誘引"
	case "credentials":
		return "識別符号の不正提供"
	case "prostitution":
		return "売春の周旋目的の誘引"
	case "obscene":
		return "わいせつ電磁的記録の陳列"
	case "child_abuse_material":
		return "児童ポルノの公然陳列"
	case "unregistered_lending":
		return "無登録貸金業の広告"
	case "gambling":
		return "違法オンラインギャンブルの宣伝"
	case "firearm_incitement":
		return "拳銃等の所持の誘引"
	case "fraud_runner", "robbery_crew", "courier", "generic":
		return "犯罪実行者募集"
	case "group_suicide", "assistance", "encouragement":
		return "自殺誘引等"
	}
	return ""
}

// builder builds one case.
type builder struct {
	g   *gen
	num int
	id  string
	h   host
	c   Case
	k   int
	cut bool // an action fell after the horizon: nothing more is recorded
}

// newCase starts a case on host h with its first report received at
// received, classified automatically as auto/autoSub.
func (g *gen) newCase(h host, received time.Time, auto hotline.Category, autoSub string, score float64) *builder {
	g.n++
	raw := fmt.Sprintf("https://%s/thread/%d/res/%d", h.name, 100000+g.n, 1+g.rng.IntN(999))
	canon, err := urlcanon.Canonical(raw)
	if err != nil {
		panic(fmt.Sprintf("scenario url %s: %v", raw, err)) // the generator's own URLs are valid
	}
	b := &builder{g: g, num: g.n, id: hotline.CaseID(canon), h: h}
	b.report(received, auto, autoSub, score, canon, raw)
	return b
}

func (b *builder) report(received time.Time, auto hotline.Category, autoSub string, score float64, canon, raw string) {
	src, crawler := hotline.SourcePublic, ""
	if b.g.rng.IntN(3) == 0 {
		src, crawler = hotline.SourceCrawler, "patrol"
	}
	b.c.Reports = append(b.c.Reports, hotline.ClassifiedReport{
		Report: hotline.Report{
			ID:           fmt.Sprintf("demo-%s-r%06d-%d", b.g.prefix, b.num, len(b.c.Reports)+1),
			CaseID:       b.id,
			URL:          raw,
			CanonicalURL: canon,
			Text:         text(auto, autoSub),
			Source:       src,
			Crawler:      crawler,
			ReceivedAt:   received,
		},
		Classification: hotline.Classification{
			Category: auto, Subcategory: autoSub, Score: score,
			Scores:      map[hotline.Category]float64{auto: score},
			NeedsReview: true,
			Priority:    hotline.Priority(auto, score, false),
			Model:       "demo",
		},
		ClassifiedAt: received.Add(2 * time.Second),
	})
}

// again adds another report of the same item.
func (b *builder) again(received time.Time) {
	first := b.c.Reports[0]
	cl := first.Classification
	b.report(received, cl.Category, cl.Subcategory, cl.Score, first.Report.CanonicalURL, first.Report.URL)
}

func (b *builder) act(a hotline.Action) {
	if b.cut || (!b.g.horizon.IsZero() && a.At.After(b.g.horizon)) {
		b.cut = true
		return
	}
	b.k++
	a.ID = fmt.Sprintf("demo-%s-a%06d-%02d", b.g.prefix, b.num, b.k)
	a.CaseID = b.id
	b.c.Actions = append(b.c.Actions, a)
}

func (b *builder) decide(at time.Time, actor string, c hotline.Category, sub string) {
	b.act(hotline.Action{Kind: hotline.ActDecision, Actor: actor, At: at, Category: c, Subcategory: sub})
}

func (b *builder) confirm(at time.Time, actor string) {
	b.act(hotline.Action{Kind: hotline.ActConfirmation, Actor: actor, At: at})
}

// request sends a deletion request; escalate sends it to the hosting
// provider rather than the site.
func (b *builder) request(sent time.Time, escalate bool) {
	r := &hotline.DeletionRequest{SentAt: sent}
	switch {
	case escalate:
		r.RecipientKind, r.Recipient, r.Method = hotline.RecipientHosting, "abuse@"+b.h.hosting, "email"
	case b.h.overseas:
		r.RecipientKind, r.Recipient, r.Method = hotline.RecipientINHOPE, "partner hotline (US)", "inhope"
	case b.g.rng.IntN(4) == 0:
		r.RecipientKind, r.Recipient, r.Method = hotline.RecipientHosting, "abuse@"+b.h.hosting, "email"
	default:
		r.RecipientKind, r.Recipient, r.Method = hotline.RecipientSiteAdmin, "admin@"+b.h.name, "form"
	}
	b.act(hotline.Action{Kind: hotline.ActRequest, Actor: b.g.analyst(), At: sent, Request: r})
}

func (b *builder) outcome(seen time.Time, result string) {
	b.act(hotline.Action{Kind: hotline.ActOutcome, Actor: b.g.analyst(), At: seen, Outcome: &hotline.Outcome{Result: result, SeenAt: seen}})
}

func (b *builder) done() {
	sortActions(b.c.Actions)
	b.g.cases = append(b.g.cases, b.c)
}

// severe categories need a supervisor's confirmation before a request.
func severe(c hotline.Category) bool { return c.Severity() >= 2 }

// judge records the judgement of a case reported at received whose request
// goes out at sent: a decision, and a supervisor's confirmation for severe
// categories, both between the two.
func (b *builder) judge(received, sent time.Time, c hotline.Category, sub string) {
	span := sent.Sub(received)
	dec := received.Add(time.Duration(float64(span) * b.g.uniform(0.2, 0.5)))
	b.decide(dec, b.g.analyst(), c, sub)
	if severe(c) {
		b.confirm(dec.Add(time.Duration(float64(sent.Sub(dec))*b.g.uniform(0.2, 0.8))), b.g.supervisor())
	}
}

// automatic returns the classifier's view of an item judged c/sub: mostly
// the same, sometimes another category (the analyst corrects it).
func (g *gen) automatic(c hotline.Category, sub string) (hotline.Category, string, float64) {
	score := g.uniform(0.55, 0.99)
	if g.rng.IntN(100) >= 8 {
		return c, sub, score
	}
	switch c {
	case hotline.CriminalRecruitment:
		return hotline.Illegal, "bank_account", score
	case hotline.CriticalCrime:
		return hotline.CriminalRecruitment, "robbery_crew", score
	case hotline.SuicideInducement:
		return hotline.None, "distress", g.uniform(0.3, 0.6)
	}
	return hotline.None, "everyday", g.uniform(0.3, 0.6)
}

// Outcome plans for a requested item.
const (
	planRemoved        = iota // seen removed by the cutoff
	planNotRemoved            // checked before the cutoff, still up
	planNotRemovedLate        // checked before the cutoff, still up, removed after it
	planOpen                  // no outcome
	planOpenLate              // no outcome by the cutoff, removed after it
)

// cohort is a set of items of one category requested in [from, to) of
// which exactly removed are seen removed before end (the first instant
// after the cutoff day).
type cohort struct {
	cat      hotline.Category
	subs     []weighted
	n        int
	removed  int
	from, to time.Time
	months   []float64 // weights of the months from from (nil: uniform)
	end      time.Time
	median   float64 // median days to removal
	edges    bool    // add the 2024 edge cases (see whitepaper2024)
	reReq    float64 // share of removed items re-requested first
}

// sentAt draws a request time: a day by the month weights, 09:00-21:00.
func (g *gen) sentAt(c cohort, late bool) time.Time {
	from := c.from
	if late {
		from = c.to.AddDate(0, 0, -60)
		if from.Before(c.from) {
			from = c.from
		}
	}
	var d time.Time
	if c.months == nil || late {
		d = g.between(from, c.to)
	} else {
		total := 0.0
		for _, w := range c.months {
			total += w
		}
		x, m := g.rng.Float64()*total, 0
		for i, w := range c.months {
			if x < w {
				m = i
				break
			}
			x -= w
		}
		ms := c.from.AddDate(0, m, 0)
		me := ms.AddDate(0, 1, 0)
		if me.After(c.to) {
			me = c.to
		}
		d = g.between(ms, me)
	}
	d = time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, japan()).Add(time.Duration(g.rng.Int64N(int64(12 * time.Hour))))
	return d
}

// delay draws a time to removal: log-normal around the median.
func (g *gen) delay(median float64) time.Duration {
	d := median * math.Exp(0.9*g.rng.NormFloat64())
	return days(max(d, 0.04))
}

// plans returns the shuffled outcome plans of a cohort.
func (g *gen) plans(c cohort) []int {
	rest := c.n - c.removed
	nr, nrLate, openLate := rest*50/100, rest*8/100, rest*4/100
	open := rest - nr - nrLate - openLate
	p := make([]int, 0, c.n)
	for _, x := range []struct{ plan, n int }{{planRemoved, c.removed}, {planNotRemoved, nr}, {planNotRemovedLate, nrLate}, {planOpen, open}, {planOpenLate, openLate}} {
		for range x.n {
			p = append(p, x.plan)
		}
	}
	g.rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

// generate adds the cohort's cases.
func (g *gen) generate(c cohort) {
	removedSeen, lateSeen := 0, 0
	for i, plan := range g.plans(c) {
		sub := g.pickSub(c.subs)
		late := plan == planNotRemovedLate || plan == planOpenLate
		sent := g.sentAt(c, late)
		var removedAt time.Time // forced removal time, for edge cases
		if c.edges && plan == planRemoved {
			removedSeen++
			switch {
			case removedSeen == 1: // the first minutes of the year, Japan time (still 2023 in UTC)
				sent = jst(2024, 1, 1, 0, 30)
			case removedSeen == 2: // the last hour of the year, removed in the last hour of the cutoff day
				sent, removedAt = jst(2024, 12, 31, 23, 30), jst(2025, 1, 31, 23, 0)
			case removedSeen <= 42: // December requests removed in January
				sent = g.between(jst(2024, 12, 24, 9, 0), jst(2024, 12, 31, 18, 0))
				removedAt = g.between(jst(2025, 1, 4, 9, 0), jst(2025, 1, 25, 18, 0))
			}
		}
		if c.edges && plan == planNotRemovedLate {
			lateSeen++
			if lateSeen == 1 { // removed half an hour after the cutoff day
				sent, removedAt = jst(2024, 12, 30, 10, 0), jst(2025, 2, 1, 0, 30)
			}
		}
		removed := plan == planRemoved
		h := g.pickHost(removed)
		auto, autoSub, score := g.automatic(c.cat, sub)
		received := sent.Add(-days(g.uniform(0.1, 6)))
		b := g.newCase(h, received, auto, autoSub, score)
		if g.rng.IntN(100) < 6 {
			b.again(received.Add(days(g.uniform(0.02, 2))))
		}
		if g.rng.IntN(50) == 0 { // a first judgement, corrected before the request
			wc, ws := wrong(c.cat)
			b.decide(received.Add(sent.Sub(received)/10), g.analyst(), wc, ws)
		}
		b.judge(received, sent, c.cat, sub)
		b.request(sent, false)
		if c.edges {
			g.corrections(b, c, i, sent)
		}
		switch plan {
		case planRemoved:
			g.removal(b, c, sent, removedAt)
		case planNotRemoved:
			check := g.checkBefore(sent, c.end)
			b.outcome(check, hotline.OutcomeNotRemoved)
			if g.rng.IntN(100) < 35 {
				again := check.Add(days(g.uniform(0.05, 1)))
				if again.Before(c.end) {
					b.request(again, true)
					if next := again.Add(days(g.uniform(7, 14))); next.Before(c.end) {
						b.outcome(next, hotline.OutcomeNotRemoved)
					}
				}
			}
		case planNotRemovedLate:
			b.outcome(g.checkBefore(sent, c.end), hotline.OutcomeNotRemoved)
			if removedAt.IsZero() {
				removedAt = c.end.Add(days(g.uniform(0.5, 45)))
			}
			b.outcome(removedAt, hotline.OutcomeRemoved)
		case planOpen:
			if g.rng.IntN(100) < 10 {
				if again := sent.Add(days(g.uniform(5, 12))); again.Before(c.end) {
					b.request(again, true)
				}
			}
		case planOpenLate:
			b.outcome(c.end.Add(days(g.uniform(0.5, 30))), hotline.OutcomeRemoved)
		}
		b.done()
	}
}

// wrong is another category an item of c might first be judged as.
func wrong(c hotline.Category) (hotline.Category, string) {
	switch c {
	case hotline.CriminalRecruitment:
		return hotline.CriticalCrime, "violence_for_hire"
	case hotline.CriticalCrime:
		return hotline.CriminalRecruitment, "robbery_crew"
	case hotline.SuicideInducement:
		return hotline.CriticalCrime, "toxic_gas"
	}
	return hotline.CriminalRecruitment, "generic"
}

// corrections adds judgements recorded after the request to the first
// items of an edge cohort: a correction before the cutoff (it counts), a
// re-judgement long after the cutoff (it does not), a retraction to none
// (the item stays counted under the category it was requested under).
func (g *gen) corrections(b *builder, c cohort, i int, sent time.Time) {
	switch {
	case i < 15 && c.cat == hotline.CriminalRecruitment:
		// the request went out as bank account trading; corrected to recruitment
		b.c.Actions = b.c.Actions[:0]
		b.k = 0
		b.decide(sent.Add(-3*time.Hour), g.analyst(), hotline.Illegal, "bank_account")
		b.request(sent, false)
		b.decide(sent.Add(days(g.uniform(0.5, 2))), g.supervisor(), hotline.CriminalRecruitment, "fraud_runner")
	case i < 25 && c.cat == hotline.CriminalRecruitment:
		b.decide(jst(2025, 6, 10, 10, 0), g.supervisor(), hotline.CriticalCrime, "violence_for_hire")
	case i < 5 && c.cat == hotline.SuicideInducement:
		b.decide(sent.Add(days(g.uniform(0.5, 2))), g.supervisor(), hotline.None, "")
	}
}

// checkBefore is a re-check some days after sent, before end.
func (g *gen) checkBefore(sent, end time.Time) time.Time {
	check := sent.Add(days(g.uniform(5, 10)))
	if !check.Before(end) {
		check = sent.Add(time.Duration(float64(end.Sub(sent)) * g.uniform(0.3, 0.9)))
	}
	return check
}

// removal records how an item came down before c.end: at removedAt if
// given, else after a drawn delay, sometimes after a re-check that found it
// still up and a re-request to the hosting provider.
func (g *gen) removal(b *builder, c cohort, sent, removedAt time.Time) {
	if !removedAt.IsZero() {
		b.outcome(removedAt, hotline.OutcomeRemoved)
		return
	}
	if g.rng.Float64() < c.reReq {
		check := sent.Add(days(g.uniform(3, 8)))
		again := check.Add(days(g.uniform(0.05, 1)))
		gone := again.Add(g.delay(c.median))
		if gone.Before(c.end) {
			b.outcome(check, hotline.OutcomeNotRemoved)
			b.request(again, true)
			b.outcome(gone, hotline.OutcomeRemoved)
			return
		}
	}
	for range 20 {
		if gone := sent.Add(g.delay(c.median)); gone.Before(c.end) {
			b.outcome(gone, hotline.OutcomeRemoved)
			return
		}
	}
	b.outcome(sent.Add(time.Duration(float64(c.end.Sub(sent))*g.uniform(0.1, 0.9))), hotline.OutcomeRemoved)
}

// removedBeforeRequest adds n items of c seen removed before any request,
// in [from, to); a share of them never judged (counted by their automatic
// classification).
func (g *gen) removedBeforeRequest(c hotline.Category, subs []weighted, n int, from, to time.Time, unjudged float64) {
	for range n {
		sub := g.pickSub(subs)
		seen := g.between(from, to)
		received := seen.Add(-days(g.uniform(0.2, 4)))
		b := g.newCase(g.pickHost(true), received, c, sub, g.uniform(0.6, 0.99))
		if g.rng.Float64() >= unjudged {
			b.decide(received.Add(time.Duration(float64(seen.Sub(received))*g.uniform(0.2, 0.8))), g.analyst(), c, sub)
		}
		b.outcome(seen, hotline.OutcomeRemovedBeforeRequest)
		b.done()
	}
}

// backlog adds cases without a request: n not reviewed, judged none or
// judged and awaiting a request, received in [from, to).
func (g *gen) backlog(from, to time.Time, unreviewed, none, reviewed int) {
	pos := []struct {
		c    hotline.Category
		subs []weighted
	}{{hotline.Illegal, illegalSubs()}, {hotline.CriticalCrime, criticalSubs()}, {hotline.SuicideInducement, suicideSubs()}, {hotline.CriminalRecruitment, recruitmentSubs()}}
	for i := range unreviewed + none + reviewed {
		p := pos[g.rng.IntN(len(pos))]
		sub := g.pickSub(p.subs)
		received := g.between(from, to)
		b := g.newCase(g.hosts[g.rng.IntN(len(g.hosts))], received, p.c, sub, g.uniform(0.4, 0.99))
		switch {
		case i < unreviewed:
		case i < unreviewed+none:
			b.decide(received.Add(days(g.uniform(0.05, 2))), g.analyst(), hotline.None, "")
		default:
			at := received.Add(days(g.uniform(0.05, 2)))
			b.decide(at, g.analyst(), p.c, sub)
			if severe(p.c) {
				b.confirm(at.Add(days(g.uniform(0.01, 0.5))), g.supervisor())
			}
		}
		b.done()
	}
}

func illegalSubs() []weighted {
	return []weighted{{"drugs", 30}, {"bank_account", 18}, {"phone_sim", 6}, {"credentials", 8},
		{"prostitution", 12}, {"obscene", 16}, {"child_abuse_material", 10}}
}

func criticalSubs() []weighted {
	return []weighted{{"violence_for_hire", 35}, {"firearm_transfer", 12}, {"weapon_making", 10},
		{"organ_trade", 5}, {"human_trafficking", 5}, {"toxic_gas", 8}, {"stalking", 25}}
}

func recruitmentSubs() []weighted {
	return []weighted{{"fraud_runner", 55}, {"robbery_crew", 15}, {"courier", 20}, {"generic", 10}}
}

func suicideSubs() []weighted {
	return []weighted{{"group_suicide", 55}, {"assistance", 25}, {"encouragement", 20}}
}
