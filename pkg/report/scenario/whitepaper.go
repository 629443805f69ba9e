package scenario

import (
	"time"

	"github.com/hotline-jp/hotline/pkg/hotline"
)

// The white paper's 2024 figures (NPA white paper 2025, chapter 3; NHK
// 2025-03-13 for criminal recruitment), which the whitepaper-2024 scenario
// reproduces exactly with the default cutoff.
const (
	WP2024IllegalRequested     = 2186
	WP2024IllegalRemoved       = 1991
	WP2024CriticalRequested    = 9488 // including criminal recruitment
	WP2024CriticalRemoved      = 8024
	WP2024RecruitmentRequested = 9234
	WP2024RecruitmentRemoved   = 7860
	WP2024SuicideRequested     = 6359
	WP2024SuicideRemoved       = 4986
)

// whitepaper2024 generates the whitepaper-2024 scenario.
func whitepaper2024() []Case {
	g := newGen("wp24", 20240101)
	y2024, y2025, y2026 := jst(2024, 1, 1, 0, 0), jst(2025, 1, 1, 0, 0), jst(2026, 1, 1, 0, 0)
	// The first instant after each year's default cutoff day (January 31).
	end2023, end2024, end2025 := jst(2024, 2, 1, 0, 0), jst(2025, 2, 1, 0, 0), jst(2026, 2, 1, 0, 0)
	flat := []float64{8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8}
	// Recruitment rose through the year, most sharply after the autumn
	// robberies.
	rising := []float64{5, 5, 6, 6, 7, 7, 8, 8, 9, 12, 14, 13}

	// 2024: the white paper's cohorts.
	g.generate(cohort{cat: hotline.Illegal, subs: illegalSubs(), n: WP2024IllegalRequested, removed: WP2024IllegalRemoved,
		from: y2024, to: y2025, months: flat, end: end2024, median: 1.6, reReq: 0.06})
	g.generate(cohort{cat: hotline.CriticalCrime, subs: criticalSubs(),
		n: WP2024CriticalRequested - WP2024RecruitmentRequested, removed: WP2024CriticalRemoved - WP2024RecruitmentRemoved,
		from: y2024, to: y2025, months: flat, end: end2024, median: 2.8, reReq: 0.12})
	g.generate(cohort{cat: hotline.CriminalRecruitment, subs: recruitmentSubs(), n: WP2024RecruitmentRequested, removed: WP2024RecruitmentRemoved,
		from: y2024, to: y2025, months: rising, end: end2024, median: 2.2, reReq: 0.10, edges: true})
	g.generate(cohort{cat: hotline.SuicideInducement, subs: suicideSubs(), n: WP2024SuicideRequested, removed: WP2024SuicideRemoved,
		from: y2024, to: y2025, months: flat, end: end2024, median: 3.5, reReq: 0.12, edges: true})
	// Removed before any request in 2024: apart, not in the denominator.
	g.removedBeforeRequest(hotline.Illegal, illegalSubs(), 58, y2024, y2025, 0.3)
	g.removedBeforeRequest(hotline.CriticalCrime, criticalSubs(), 9, y2024, y2025, 0.3)
	g.removedBeforeRequest(hotline.CriminalRecruitment, recruitmentSubs(), 212, y2024, y2025, 0.3)
	g.removedBeforeRequest(hotline.SuicideInducement, suicideSubs(), 141, y2024, y2025, 0.3)

	// 2023 (Q4, recruitment already inside 重要犯罪密接関連情報): its outcomes
	// and re-requests reach into 2024 and must not count there.
	q4 := jst(2023, 10, 1, 0, 0)
	g.generate(cohort{cat: hotline.CriminalRecruitment, subs: recruitmentSubs(), n: 260, removed: 215, from: q4, to: y2024, end: end2023, median: 2.5, reReq: 0.3})
	g.generate(cohort{cat: hotline.Illegal, subs: illegalSubs(), n: 90, removed: 80, from: q4, to: y2024, end: end2023, median: 1.8, reReq: 0.3})
	g.generate(cohort{cat: hotline.SuicideInducement, subs: suicideSubs(), n: 80, removed: 62, from: q4, to: y2024, end: end2023, median: 3.5, reReq: 0.3})
	g.lateIn2023(40)
	g.removedBeforeRequest(hotline.CriminalRecruitment, recruitmentSubs(), 20, q4, y2024, 0)

	// 2025: recruitment inside 重要犯罪密接関連情報 until February, inside
	// 違法情報 from March 1 (with unregistered lending and inciting firearm
	// possession); online gambling from September 25.
	mar := jst(2025, 3, 1, 0, 0)
	g.generate(cohort{cat: hotline.CriminalRecruitment, subs: recruitmentSubs(), n: 300, removed: 262, from: y2025, to: mar, end: end2025, median: 2.0, reReq: 0.1})
	g.generate(cohort{cat: hotline.CriminalRecruitment, subs: recruitmentSubs(), n: 900, removed: 801, from: mar, to: y2026, end: end2025, median: 1.8, reReq: 0.1})
	g.generate(cohort{cat: hotline.Illegal, subs: illegalSubs(), n: 200, removed: 184, from: y2025, to: y2026, end: end2025, median: 1.5, reReq: 0.06})
	g.generate(cohort{cat: hotline.Illegal, subs: []weighted{{"unregistered_lending", 3}, {"firearm_incitement", 1}}, n: 40, removed: 31, from: mar, to: y2026, end: end2025, median: 2.5, reReq: 0.1})
	g.generate(cohort{cat: hotline.Illegal, subs: []weighted{{"gambling", 1}}, n: 40, removed: 28, from: jst(2025, 9, 25, 0, 0), to: y2026, end: end2025, median: 4, reReq: 0.1})
	g.generate(cohort{cat: hotline.SuicideInducement, subs: suicideSubs(), n: 250, removed: 201, from: y2025, to: y2026, end: end2025, median: 3.2, reReq: 0.1})
	g.generate(cohort{cat: hotline.CriticalCrime, subs: criticalSubs(), n: 30, removed: 21, from: y2025, to: y2026, end: end2025, median: 2.5, reReq: 0.1})
	g.recruitmentAtTheSwitch()
	g.removedBeforeRequest(hotline.CriminalRecruitment, recruitmentSubs(), 30, y2025, y2026, 0.2)
	g.removedBeforeRequest(hotline.Illegal, illegalSubs(), 10, y2025, y2026, 0.2)

	// The queue as it stood at the end: unreviewed, judged none, judged and
	// awaiting a request.
	g.backlog(jst(2025, 12, 1, 0, 0), jst(2025, 12, 31, 0, 0), 200, 150, 100)
	return g.cases
}

// lateIn2023 adds 2023 recruitment items whose story continues into 2024:
// December requests removed in January 2024, and November requests found
// still up, re-requested in February 2024 and removed then. None of them is
// part of 2024's figures: their first request was in 2023.
func (g *gen) lateIn2023(n int) {
	for i := range n {
		var sent time.Time
		if i == 0 { // the last minutes of 2023 in Japan time (2023-12-31 14:50 UTC)
			sent = jst(2023, 12, 31, 23, 50)
		} else if i%2 == 0 {
			sent = g.between(jst(2023, 12, 20, 9, 0), jst(2023, 12, 31, 18, 0))
		} else {
			sent = g.between(jst(2023, 11, 1, 9, 0), jst(2023, 11, 30, 18, 0))
		}
		sub := g.pickSub(recruitmentSubs())
		received := sent.Add(-days(g.uniform(0.2, 3)))
		b := g.newCase(g.pickHost(true), received, hotline.CriminalRecruitment, sub, g.uniform(0.7, 0.99))
		b.judge(received, sent, hotline.CriminalRecruitment, sub)
		b.request(sent, false)
		if i%2 == 0 {
			b.outcome(g.between(jst(2024, 1, 3, 9, 0), jst(2024, 1, 20, 18, 0)), hotline.OutcomeRemoved)
		} else {
			b.outcome(sent.Add(days(g.uniform(10, 20))), hotline.OutcomeNotRemoved)
			again := g.between(jst(2024, 2, 1, 9, 0), jst(2024, 2, 20, 18, 0))
			b.request(again, true)
			b.outcome(again.Add(days(g.uniform(1, 6))), hotline.OutcomeRemoved)
		}
		b.done()
	}
}

// recruitmentAtTheSwitch adds two recruitment items requested either side
// of the 2025-03-01 switch: the first counts under 重要犯罪密接関連情報,
// the second under 違法情報.
func (g *gen) recruitmentAtTheSwitch() {
	for _, sent := range []time.Time{jst(2025, 2, 28, 23, 30), jst(2025, 3, 1, 0, 10)} {
		received := sent.Add(-6 * time.Hour)
		b := g.newCase(g.pickHost(true), received, hotline.CriminalRecruitment, "fraud_runner", 0.95)
		b.judge(received, sent, hotline.CriminalRecruitment, "fraud_runner")
		b.request(sent, false)
		b.outcome(sent.Add(26*time.Hour), hotline.OutcomeRemoved)
		b.done()
	}
}

// sample generates the sample scenario: a few hundred cases of the three
// months before now, in every state.
func sample(now time.Time) []Case {
	g := newGen("sample", uint64(now.Unix()/86400))
	g.horizon = now
	from := now.AddDate(0, -3, 0)
	sent := now.Add(-24 * time.Hour)
	g.generate(cohort{cat: hotline.CriminalRecruitment, subs: recruitmentSubs(), n: 90, removed: 70, from: from, to: sent, end: now, median: 2, reReq: 0.1})
	g.generate(cohort{cat: hotline.Illegal, subs: illegalSubs(), n: 40, removed: 34, from: from, to: sent, end: now, median: 1.5, reReq: 0.1})
	g.generate(cohort{cat: hotline.SuicideInducement, subs: suicideSubs(), n: 40, removed: 30, from: from, to: sent, end: now, median: 3, reReq: 0.1})
	g.generate(cohort{cat: hotline.CriticalCrime, subs: criticalSubs(), n: 15, removed: 11, from: from, to: sent, end: now, median: 2.5, reReq: 0.1})
	g.removedBeforeRequest(hotline.CriminalRecruitment, recruitmentSubs(), 10, from, sent, 0.3)
	g.removedBeforeRequest(hotline.SuicideInducement, suicideSubs(), 5, from, sent, 0.3)
	g.backlog(now.AddDate(0, 0, -14), now.Add(-time.Hour), 60, 25, 40)
	return g.cases
}
