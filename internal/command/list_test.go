package command

import (
	"strconv"
	"testing"
)

func bigListArgs(cmd, key string, n int) []string {
	args := []string{cmd, key}
	for i := range n {
		args = append(args, "element-"+strconv.Itoa(i))
	}
	return args
}

// LPUSH, RPOP and LRANGE are a list's hot path: in the steady state (a
// push and a pop per round, the length constant) they allocate nothing
// per call in either encoding. A quicklist allocates a node per ~450
// pushes, which averages to zero here.
func TestListHotPathAllocations(t *testing.T) {
	s := newStrServer(t)
	s.do("rpush", "small", "a", "b", "c")
	s.do(bigListArgs("rpush", "big", 5000)...)
	if got := s.do("object", "encoding", "big"); got != "$9\r\nquicklist\r\n" {
		t.Fatalf("big list encoding %q", got)
	}
	for _, round := range [][][]string{
		{{"lpush", "small", "element-x"}, {"rpop", "small"}},
		{{"rpush", "small", "element-x"}, {"lpop", "small"}},
		{{"lpush", "big", "element-x"}, {"rpop", "big"}},
		{{"rpush", "big", "element-x"}, {"lpop", "big"}},
		{{"lrange", "small", "0", "-1"}},
		{{"lrange", "big", "0", "9"}},
		{{"lrange", "big", "2500", "2600"}},
		{{"lindex", "big", "-100"}, {"llen", "big"}},
		{{"lrange", "missing", "0", "-1"}, {"lpop", "missing"}},
	} {
		cmds := make([][][]byte, len(round))
		for i, args := range round {
			cmds[i] = argv(args...)
		}
		n := testing.AllocsPerRun(1000, func() {
			for _, a := range cmds {
				s.w.Reset()
				s.srv.Exec(s.c, &s.ctx, a, &s.w)
			}
		})
		if n != 0 {
			t.Errorf("%v: %v allocs per round; want 0", round, n)
		}
	}
}

func BenchmarkListHandler(b *testing.B) {
	b.Run("lpush-rpop-listpack", func(b *testing.B) {
		benchPair(b, []string{"rpush", "l", "a", "b", "c"}, []string{"lpush", "l", "0123456789abcdef"}, []string{"rpop", "l"})
	})
	b.Run("lpush-rpop-quicklist", func(b *testing.B) {
		benchPair(b, bigListArgs("rpush", "l", 100000), []string{"lpush", "l", "0123456789abcdef"}, []string{"rpop", "l"})
	})
	b.Run("lrange-10-quicklist", func(b *testing.B) {
		benchExec(b, bigListArgs("rpush", "l", 100000), "lrange", "l", "50000", "50009")
	})
}

func benchPair(b *testing.B, setup, x, y []string) {
	s := newStrServer(b)
	s.do(setup...)
	ax, ay := argv(x...), argv(y...)
	b.ReportAllocs()
	for b.Loop() {
		s.w.Reset()
		s.srv.Exec(s.c, &s.ctx, ax, &s.w)
		s.w.Reset()
		s.srv.Exec(s.c, &s.ctx, ay, &s.w)
	}
}
