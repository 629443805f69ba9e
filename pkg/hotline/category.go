package hotline

import "fmt"

// Category is a stable category id, as used in data, APIs and files.
type Category string

// The categories of DOMAIN.md. The ids never change; how they are grouped in
// statistics depends on the taxonomy regime in force (see the report package).
const (
	Illegal             Category = "illegal"
	CriticalCrime       Category = "critical_crime"
	SuicideInducement   Category = "suicide_inducement"
	CriminalRecruitment Category = "criminal_recruitment"
	None                Category = "none"
)

// Categories returns every category id, the positive ones first, in the
// order the hotline lists them.
func Categories() []Category {
	return []Category{Illegal, CriticalCrime, SuicideInducement, CriminalRecruitment, None}
}

// Valid reports whether c is one of the known category ids.
func (c Category) Valid() bool {
	switch c {
	case Illegal, CriticalCrime, SuicideInducement, CriminalRecruitment, None:
		return true
	}
	return false
}

// Label is the Japanese name the hotline reports the category under.
func (c Category) Label() string {
	switch c {
	case Illegal:
		return "違法情報"
	case CriticalCrime:
		return "重要犯罪密接関連情報"
	case SuicideInducement:
		return "自殺誘引等情報"
	case CriminalRecruitment:
		return "犯罪実行者募集情報"
	case None:
		return "対象外"
	}
	return string(c)
}

// Severity orders categories by the harm their content can do, higher first
// in the queue: inducement to suicide and serious crimes for hire are the
// most urgent, none the least.
func (c Category) Severity() int {
	switch c {
	case SuicideInducement, CriticalCrime:
		return 3
	case CriminalRecruitment:
		return 2
	case Illegal:
		return 1
	}
	return 0
}

// ParseCategory returns the category with id s, or an error naming s.
func ParseCategory(s string) (Category, error) {
	c := Category(s)
	if !c.Valid() {
		return "", fmt.Errorf("unknown category %q", s)
	}
	return c, nil
}

// Subcategories returns the sub-type ids of category c (for none, the kinds
// of text the corpus distinguishes).
func Subcategories(c Category) []string {
	switch c {
	case Illegal:
		return []string{"drugs", "bank_account", "phone_sim", "credentials", "prostitution", "obscene",
			"child_abuse_material", "unregistered_lending", "gambling", "firearm_incitement"}
	case CriticalCrime:
		return []string{"violence_for_hire", "firearm_transfer", "weapon_making", "organ_trade",
			"human_trafficking", "toxic_gas", "stalking"}
	case SuicideInducement:
		return []string{"group_suicide", "assistance", "encouragement"}
	case CriminalRecruitment:
		return []string{"fraud_runner", "robbery_crew", "courier", "generic"}
	case None:
		return []string{"news", "awareness", "job_ad", "distress", "support", "fiction", "food", "everyday"}
	}
	return nil
}

// ValidSubcategory reports whether sub is a sub-type of c (the empty
// sub-type is always valid).
func ValidSubcategory(c Category, sub string) bool {
	if sub == "" {
		return true
	}
	for _, s := range Subcategories(c) {
		if s == sub {
			return true
		}
	}
	return false
}
