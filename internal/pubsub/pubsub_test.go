package pubsub

import (
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
)

type delivery struct {
	sub     string
	pattern string
}

func publish(r *Registry[string], ch string) (int, []delivery) {
	var got []delivery
	n := r.Publish([]byte(ch), func(s, p string) { got = append(got, delivery{s, p}) })
	return n, got
}

func TestSubscribeCounts(t *testing.T) {
	var r Registry[string]
	steps := []struct {
		op, sub, name string
		changed       bool
		count         int
	}{
		{"sub", "a", "news", true, 1},
		{"sub", "a", "news", false, 1},
		{"sub", "a", "sport", true, 2},
		{"psub", "a", "n*", true, 3},
		{"psub", "a", "n*", false, 3},
		{"sub", "b", "news", true, 1},
		{"unsub", "a", "nothere", false, 3},
		{"unsub", "c", "news", false, 0},
		{"punsub", "a", "x*", false, 3},
		{"unsub", "a", "news", true, 2},
		{"punsub", "a", "n*", true, 1},
		{"unsub", "a", "sport", true, 0},
	}
	for i, st := range steps {
		var changed bool
		var n int
		switch st.op {
		case "sub":
			changed, n = r.Subscribe(st.sub, st.name)
		case "psub":
			changed, n = r.PSubscribe(st.sub, st.name)
		case "unsub":
			changed, n = r.Unsubscribe(st.sub, st.name)
		case "punsub":
			changed, n = r.PUnsubscribe(st.sub, st.name)
		}
		if changed != st.changed || n != st.count {
			t.Errorf("step %d %s %s %s = %v, %d; want %v, %d", i, st.op, st.sub, st.name, changed, n, st.changed, st.count)
		}
	}
	if n := r.NumChannels(); n != 1 {
		t.Errorf("NumChannels = %d, want 1 (b's news)", n)
	}
	if n := r.NumPatterns(); n != 0 {
		t.Errorf("NumPatterns = %d, want 0", n)
	}
	if _, ok := r.subs["a"]; ok {
		t.Error("a subscriber with nothing left is still tracked")
	}
}

func TestPublishOrderAndPatterns(t *testing.T) {
	var r Registry[string]
	r.Subscribe("b", "news")
	r.Subscribe("a", "news")
	r.PSubscribe("a", "n*")
	r.PSubscribe("c", "*s")
	r.PSubscribe("b", "n*")
	r.PSubscribe("d", "x*")
	n, got := publish(&r, "news")
	want := []delivery{{"b", ""}, {"a", ""}, {"a", "n*"}, {"b", "n*"}, {"c", "*s"}}
	if n != len(want) || !reflect.DeepEqual(got, want) {
		t.Errorf("Publish(news) = %d %v, want %v", n, got, want)
	}
	if n, got := publish(&r, "nothing"); n != 2 || len(got) != 2 {
		t.Errorf("Publish(nothing) = %d %v, want the two n* subscribers", n, got)
	}
	if n, _ := publish(&r, "zzz"); n != 0 {
		t.Errorf("Publish(zzz) = %d", n)
	}
	if !r.Listened([]byte("news")) || !r.Listened([]byte("xy")) || r.Listened([]byte("zzz")) {
		t.Error("Listened is wrong")
	}
	if !r.Subscribed("a", "news") || r.Subscribed("a", "nope") || r.Subscribed("c", "news") {
		t.Error("Subscribed counts patterns or misses channels")
	}
	act := r.Active(nil)
	sort.Strings(act)
	if !reflect.DeepEqual(act, []string{"news"}) {
		t.Errorf("Active = %v", act)
	}
	if act := r.Active([]byte("x*")); len(act) != 0 {
		t.Errorf("Active(x*) = %v", act)
	}
	if got := r.Patterns("a"); !reflect.DeepEqual(got, []string{"n*"}) {
		t.Errorf("Patterns(a) = %v", got)
	}
	r.RemoveAll("a")
	r.RemoveAll("a") // twice is harmless
	n, got = publish(&r, "news")
	want = []delivery{{"b", ""}, {"b", "n*"}, {"c", "*s"}}
	if n != 3 || !reflect.DeepEqual(got, want) {
		t.Errorf("after RemoveAll(a): %d %v, want %v", n, got, want)
	}
	if r.NumSub("news") != 1 || r.NumPatterns() != 3 {
		t.Errorf("NumSub = %d, NumPatterns = %d", r.NumSub("news"), r.NumPatterns())
	}
}

// Publishers and subscribers on many goroutines: the race detector's test.
func TestConcurrent(t *testing.T) {
	var r Registry[int]
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				ch := fmt.Sprint("c", i%7)
				switch i % 4 {
				case 0:
					r.Subscribe(g, ch)
				case 1:
					r.PSubscribe(g, "c*")
				case 2:
					r.Publish([]byte(ch), func(int, string) {})
				case 3:
					r.Unsubscribe(g, ch)
					r.PUnsubscribe(g, "c*")
				}
			}
			r.RemoveAll(g)
		}()
	}
	wg.Wait()
	if r.NumChannels() != 0 || r.NumPatterns() != 0 || len(r.subs) != 0 {
		t.Errorf("left behind: %d channels, %d patterns, %d subscribers", r.NumChannels(), r.NumPatterns(), len(r.subs))
	}
}
