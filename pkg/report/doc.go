// Package report computes the hotline's deletion-request statistics the way
// the hotline publishes them, and serves them to staff (JSON, CSV, and an
// HTML page with SVG charts for supervisors).
//
// Everything is computed from the cases' recorded actions (the store's
// Histories), never from counters. The rules, as in the statistics section
// of DOMAIN.md:
//
//   - Unit: the item (case), not the report.
//   - Period: a calendar month (YYYY-MM) or year (YYYY) in Japan time
//     (Asia/Tokyo, UTC+9 all year: Japan has no daylight saving). Every date
//     in a report (from, to, cutoff) is a Japan-time calendar day, inclusive.
//   - Cohort: an item belongs to the period in which its FIRST deletion
//     request was sent. Later re-requests do not move it; an item first
//     requested in another period never counts here, whatever happened to it
//     during this one.
//   - Cutoff: the last day on which a removal counts. The default is the last
//     day of the period plus DefaultGrace (31) days, so a request sent on the
//     last day of the period still has a full month to be acted on, re-checked
//     and, if need be, re-requested; the monthly figures can then be published
//     about a month after the month ends, and the figures of a closed period
//     do not change when the report is run again later. The cutoff is stated
//     on every report.
//   - requested (削除依頼件数): items of the cohort. removed (削除件数): of
//     those, items seen removed on or before the cutoff. rate (削除率) =
//     removed ÷ requested, as a fraction rounded to 4 places.
//   - not_removed: a re-check on or before the cutoff found the item still up
//     and no removal was seen by the cutoff (an item removed after the cutoff
//     counts here, or under open if it was never checked before the cutoff:
//     either way it is not in removed). open: no outcome recorded by the
//     cutoff. requested = removed + not_removed + open.
//   - removed_before_request (依頼前削除): items seen removed before any
//     request, counted in the period in which they were seen removed, apart,
//     and not in the denominator.
//   - Days to removal: from the first request to the first time the item was
//     seen removed, in days; the median (mean of the middle two for an even
//     count) and p90 (nearest rank) over the removed items of a row.
//   - Re-requested: items of the cohort with more than one request sent by
//     the cutoff.
//   - Category: the human judgement (the latest decision recorded by the
//     cutoff); a later decision of none does not take an item out of the
//     figures, its category then is the one in force when the request was
//     sent. Only an item without any judgement (possible only for a removal
//     before any request) is counted by its automatic classification; the
//     report says how many were.
//   - Grouping: by the taxonomy regime in force on the date of the (first)
//     request, or of the removal for removed_before_request (see GroupOf):
//     criminal recruitment is inside 重要犯罪密接関連情報 from 2023-09-29 to
//     2025-02-28 and inside 違法情報 from 2025-03-01. The stored category id
//     never changes; only the grouping does.
//
// Beyond the published table a report carries p90 days and re-requests per
// row and a provider scorecard (per recipient of the requests and per host).
package report
