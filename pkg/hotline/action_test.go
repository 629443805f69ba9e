package hotline

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestStateEqualSeesEveryField changes each field of a state in turn
// (through reflection, so that a field added later is covered) and checks
// that Equal notices.
func TestStateEqualSeesEveryField(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	full := func() *State {
		t1, t2, t3, t4, t5, t6 := at, at.Add(1), at.Add(2), at.Add(3), at.Add(4), at.Add(5)
		return &State{Status: StatusRequested, Workflow: Workflow{
			Judgement:    &Judgement{Category: Illegal, Subcategory: "drugs", By: "a", At: at, ConfirmedBy: "b", ConfirmedAt: &t1},
			ClaimedBy:    "a",
			ClaimedUntil: &t2, ReferredAt: &t3, RequestCount: 1, FirstRequestAt: &t4, LastRequestAt: &t5,
			Outcome: OutcomeNotRemoved, OutcomeAt: &t6,
		}}
	}
	if a, b := full(), full(); !a.Equal(b) {
		t.Fatal("two equal states differ")
	}
	// The same instants in another zone are the same state.
	b := full()
	jst := time.FixedZone("JST", 9*3600)
	u := b.ClaimedUntil.In(jst)
	b.ClaimedUntil = &u
	if !full().Equal(b) {
		t.Error("the same instant in another zone differs")
	}
	n := 0
	var visit func(path string, v reflect.Value)
	visit = func(path string, v reflect.Value) {
		for i := range v.NumField() {
			f, name := v.Field(i), path+v.Type().Field(i).Name
			switch {
			case f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(time.Time{}):
				visit(name+".", f)
				continue
			case f.Kind() == reflect.Pointer && f.Type().Elem() != reflect.TypeOf(time.Time{}):
				visit(name+".", f.Elem())
				continue
			}
			n++
			s := full()
			// Find the same field in a fresh state and change it.
			g := fieldByPath(reflect.ValueOf(s).Elem(), name)
			switch g.Kind() {
			case reflect.String:
				g.SetString(g.String() + "x")
			case reflect.Int:
				g.SetInt(g.Int() + 1)
			case reflect.Pointer:
				later := g.Elem().Interface().(time.Time).Add(time.Second)
				g.Set(reflect.ValueOf(&later))
			case reflect.Struct:
				g.Set(reflect.ValueOf(g.Interface().(time.Time).Add(time.Second)))
			default:
				t.Fatalf("%s: unhandled kind %s", name, g.Kind())
			}
			if full().Equal(s) {
				t.Errorf("Equal does not see %s", name)
			}
		}
	}
	visit("", reflect.ValueOf(full()).Elem())
	if n < 15 {
		t.Errorf("only %d fields visited", n)
	}
	var none *State
	if !none.Equal(nil) || none.Equal(full()) || full().Equal(nil) {
		t.Error("nil states compare wrongly")
	}
}

func fieldByPath(v reflect.Value, path string) reflect.Value {
	for {
		name, rest, more := strings.Cut(path, ".")
		v = v.FieldByName(name)
		if !more {
			return v
		}
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		path = rest
	}
}

func TestApplyRefusesStaleAction(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	c := &Case{ID: "c1", Status: StatusNew}
	seen := c.StateOf()
	until := at.Add(time.Hour)
	if err := c.Apply(Action{ID: "a1", CaseID: "c1", Kind: ActClaim, Actor: "bob", At: at, Until: &until}); err != nil {
		t.Fatal(err)
	}
	d := Action{ID: "a2", CaseID: "c1", Kind: ActDecision, Actor: "alice", At: at, Category: None, Expect: seen}
	if err := c.Apply(d); !errors.Is(err, ErrStale) {
		t.Fatalf("decision against the state before bob's claim: %v, want ErrStale", err)
	}
	if c.Judgement != nil || c.ClaimedBy != "bob" {
		t.Errorf("a refused action changed the case: %+v", c.Workflow)
	}
	d.Expect = c.StateOf()
	if err := c.Apply(d); err != nil {
		t.Errorf("decision against the current state: %v", err)
	}
}
