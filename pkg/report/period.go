package report

import (
	"fmt"
	"strconv"
	"time"
)

// DefaultGrace is the default number of days after the last day of the
// period up to which removals count (see the package doc for why).
const DefaultGrace = 31

// MaxGrace bounds the grace a caller may ask for.
const MaxGrace = 3660

// Japan is the time zone of every period boundary and date in a report:
// Asia/Tokyo, which has been UTC+9 without daylight saving since 1951, so a
// fixed zone is exact and needs no time zone database.
func Japan() *time.Location { return time.FixedZone("Asia/Tokyo", 9*60*60) }

// dateLayout is how dates are written in reports and read from parameters.
const dateLayout = "2006-01-02"

// Period is a calendar month or year in Japan time.
type Period struct {
	Year  int
	Month time.Month // 0 for a whole year
}

// ParseMonth parses YYYY-MM.
func ParseMonth(s string) (Period, error) {
	t, err := time.ParseInLocation("2006-01", s, Japan())
	if err != nil || len(s) != 7 {
		return Period{}, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return Period{Year: t.Year(), Month: t.Month()}, nil
}

// ParseYear parses YYYY.
func ParseYear(s string) (Period, error) {
	y, err := strconv.Atoi(s)
	if err != nil || len(s) != 4 || y < 2000 || y > 9999 {
		return Period{}, fmt.Errorf("year %q: want YYYY (2000 or later)", s)
	}
	return Period{Year: y}, nil
}

// IsYear reports whether p is a whole year.
func (p Period) IsYear() bool { return p.Month == 0 }

// String is YYYY or YYYY-MM.
func (p Period) String() string {
	if p.IsYear() {
		return fmt.Sprintf("%04d", p.Year)
	}
	return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month))
}

// Label is the period in Japanese: 2024年 or 2024年6月.
func (p Period) Label() string {
	if p.IsYear() {
		return fmt.Sprintf("%d年", p.Year)
	}
	return fmt.Sprintf("%d年%d月", p.Year, int(p.Month))
}

// From is the first instant of the period (midnight, Japan time).
func (p Period) From() time.Time {
	m := p.Month
	if p.IsYear() {
		m = time.January
	}
	return time.Date(p.Year, m, 1, 0, 0, 0, 0, Japan())
}

// To is the first instant after the period.
func (p Period) To() time.Time {
	if p.IsYear() {
		return p.From().AddDate(1, 0, 0)
	}
	return p.From().AddDate(0, 1, 0)
}

// LastDay is the last day of the period (midnight, Japan time).
func (p Period) LastDay() time.Time { return p.To().AddDate(0, 0, -1) }

// Months returns the months of the period (one for a month).
func (p Period) Months() []Period {
	if !p.IsYear() {
		return []Period{p}
	}
	out := make([]Period, 12)
	for i := range out {
		out[i] = Period{Year: p.Year, Month: time.Month(i + 1)}
	}
	return out
}

// trailingMonths returns the n months ending with the last month of p.
func trailingMonths(p Period, n int) []Period {
	last := p.LastDay()
	out := make([]Period, n)
	for i := range n {
		t := time.Date(last.Year(), last.Month()-time.Month(n-1-i), 1, 0, 0, 0, 0, Japan())
		out[i] = Period{Year: t.Year(), Month: t.Month()}
	}
	return out
}

// ParseDate parses a Japan-time calendar day YYYY-MM-DD.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(dateLayout, s, Japan())
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// day returns the Japan-time calendar day of t, at midnight.
func day(t time.Time) time.Time {
	t = t.In(Japan())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Japan())
}

func formatDate(t time.Time) string { return t.In(Japan()).Format(dateLayout) }
