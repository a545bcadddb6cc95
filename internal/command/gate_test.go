package command

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// While the gate is held exclusively, no reader is inside, and readers
// never see an exclusive holder inside with them.
func TestGateExclusive(t *testing.T) {
	g := newGate(4)
	var readers, holders atomic.Int32
	var bad atomic.Int32
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slot := g.Slot(int64(i))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !g.Enter(slot) {
					bad.Add(1) // never busy in this test
					return
				}
				readers.Add(1)
				if holders.Load() != 0 {
					bad.Add(1)
				}
				readers.Add(-1)
				g.Exit(slot)
			}
		}()
	}
	bg := g.Background()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			bg.Lock()
			readers.Add(1)
			if holders.Load() != 0 {
				bad.Add(1)
			}
			readers.Add(-1)
			bg.Unlock()
		}
	}()
	var hwg sync.WaitGroup
	for range 4 {
		hwg.Add(1)
		go func() {
			defer hwg.Done()
			for range 50 {
				g.Lock()
				if holders.Add(1) != 1 || readers.Load() != 0 {
					bad.Add(1)
				}
				holders.Add(-1)
				g.Unlock()
			}
		}()
	}
	// The exclusive holders finish among busy readers (they are not
	// starved), then the readers are stopped.
	done := make(chan struct{})
	go func() { hwg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("deadlock: an exclusive holder never got the gate")
	}
	close(stop)
	wg.Wait()
	if n := bad.Load(); n != 0 {
		t.Fatalf("%d violations of exclusivity", n)
	}
}

// A busy holder makes Enter return false at once, to waiters already
// waiting and to newcomers; background work waits it out; leaving the gate
// lets everyone in again.
func TestGateBusy(t *testing.T) {
	g := newGate(2)
	g.Lock()
	waiting := make(chan bool)
	go func() { waiting <- g.Enter(0) }()
	time.Sleep(5 * time.Millisecond) // let it wait (either way it must end false)
	bgIn := make(chan struct{})
	bg := g.Background()
	go func() {
		bg.Lock()
		close(bgIn)
		bg.Unlock()
	}()
	g.SetBusy(true)
	select {
	case ok := <-waiting:
		if ok {
			t.Fatal("Enter succeeded while the gate was held")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiter was not woken when the holder became busy")
	}
	if g.Enter(1) {
		t.Fatal("Enter succeeded while the holder is busy")
	}
	if !g.Busy() {
		t.Fatal("Busy() is false")
	}
	select {
	case <-bgIn:
		t.Fatal("background work ran while the gate was held")
	case <-time.After(5 * time.Millisecond):
	}
	if g.LockUnlessBusy() {
		t.Fatal("LockUnlessBusy succeeded while the holder is busy")
	}
	g.Unlock()
	select {
	case <-bgIn:
	case <-time.After(10 * time.Second):
		t.Fatal("background work was not woken when the holder left")
	}
	if g.Busy() {
		t.Fatal("Unlock did not clear busy")
	}
	if !g.Enter(0) {
		t.Fatal("Enter failed on a free gate")
	}
	g.Exit(0)
}

// An exclusive waiter behind a holder gets the gate when the holder leaves,
// or gives up when it becomes busy.
func TestGateLockUnlessBusy(t *testing.T) {
	g := newGate(2)
	for _, busy := range []bool{false, true} {
		g.Lock()
		got := make(chan bool)
		go func() {
			ok := g.LockUnlessBusy()
			if ok {
				g.Unlock()
			}
			got <- ok
		}()
		time.Sleep(5 * time.Millisecond)
		if busy {
			g.SetBusy(true)
		} else {
			g.Unlock()
		}
		select {
		case ok := <-got:
			if ok == busy {
				t.Fatalf("busy=%v: LockUnlessBusy = %v", busy, ok)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("busy=%v: the exclusive waiter was not woken", busy)
		}
		if busy {
			g.Unlock()
		}
	}
	if !g.LockUnlessBusy() {
		t.Fatal("LockUnlessBusy failed on a free gate")
	}
	g.Unlock()
}

// A waiter blocked behind a (not busy) holder enters once the holder
// leaves, without polling.
func TestGateWaiterWakes(t *testing.T) {
	g := newGate(2)
	g.Lock()
	in := make(chan bool)
	go func() { in <- g.Enter(1) }()
	select {
	case <-in:
		t.Fatal("entered while held")
	case <-time.After(5 * time.Millisecond):
	}
	g.Unlock()
	select {
	case ok := <-in:
		if !ok {
			t.Fatal("Enter returned false without a busy holder")
		}
		g.Exit(1)
	case <-time.After(10 * time.Second):
		t.Fatal("waiter not woken")
	}
}

func BenchmarkGateEnterExit(b *testing.B) {
	g := NewGate()
	b.RunParallel(func(pb *testing.PB) {
		var id int64
		for pb.Next() {
			id++
			s := g.Slot(id)
			g.Enter(s)
			g.Exit(s)
		}
	})
}
