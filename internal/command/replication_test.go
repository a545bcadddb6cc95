package command

import "testing"

// REPLICAOF NO ONE is a master's +OK (difftest compares it with Redis);
// a master to follow is refused, there being no replication, after
// Redis's port check, and the server stays a master.
func TestReplicaOfRefusesAMaster(t *testing.T) {
	s := newStrServer(t)
	for _, cmd := range []string{"replicaof", "slaveof"} {
		if got := s.do(cmd, "no", "one"); got != "+OK\r\n" {
			t.Errorf("%s no one = %q", cmd, got)
		}
		if got := s.do(cmd, "127.0.0.1", "6379"); got != "-ERR REPLICAOF is not supported: smallredis has no replication (only REPLICAOF NO ONE)\r\n" {
			t.Errorf("%s 127.0.0.1 6379 = %q", cmd, got)
		}
		if got := s.do(cmd, "127.0.0.1", "x"); got != "-ERR Invalid master port\r\n" {
			t.Errorf("%s 127.0.0.1 x = %q", cmd, got)
		}
	}
	if got := s.do("role"); got != "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n" {
		t.Errorf("role after REPLICAOF = %q", got)
	}
}
