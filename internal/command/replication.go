package command

import (
	"time"

	"github.com/smallredis/smallredis/internal/num"
)

// The replication and cluster commands a standalone Redis with no
// replicas answers: clients and tools send them to find out what they
// talk to (ROLE), to wait for replicas after a write (WAIT), or to try
// cluster mode (READONLY, ASKING, CLUSTER …). There is no replication
// here, so the answers are a master's without replicas.

var replicationCommands = []*Spec{
	{Name: "role", Arity: 1, Flags: NoScript | Loading | Stale | Fast, ACL: []string{"admin", "fast", "dangerous"}, Handler: role},
	{Name: "wait", Arity: 3, Flags: NoScript, ACL: []string{"slow", "connection"}, Handler: wait},
	{Name: "readonly", Arity: 1, Flags: Loading | Stale | Fast, ACL: []string{"fast", "connection"}, Handler: clusterDisabled},
	{Name: "readwrite", Arity: 1, Flags: Loading | Stale | Fast, ACL: []string{"fast", "connection"}, Handler: clusterDisabled},
	{Name: "asking", Arity: 1, Flags: Fast, ACL: []string{"fast", "connection"}, Handler: clusterDisabled},
	{Name: "replicaof", Arity: 3, Flags: Admin | NoScript | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: replicaOf},
	{Name: "slaveof", Arity: 3, Flags: Admin | NoScript | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: replicaOf},
}

// replicaOf: REPLICAOF host port | REPLICAOF NO ONE (and SLAVEOF). NO ONE
// is what a master answers, +OK: failover scripts and tools send it to
// make sure the server they promote is a master, which this one always
// is. A master to follow is refused after Redis's own port check, since
// there is no replication to start.
func replicaOf(ctx *Ctx) {
	if eqFold(ctx.Args[1], "no") && eqFold(ctx.Args[2], "one") {
		ctx.W.OK()
		return
	}
	if port, ok := num.ParseInt(ctx.Args[2]); !ok || port < 0 || port > 65535 {
		ctx.Err("ERR Invalid master port")
		return
	}
	ctx.Err("ERR REPLICAOF is not supported: smallredis has no replication (only REPLICAOF NO ONE)")
}

// role: ROLE, a master with a replication offset of 0 and no replicas.
func role(ctx *Ctx) {
	ctx.W.Array(3)
	ctx.W.BulkString("master")
	ctx.W.Int(0)
	ctx.W.Array(0)
}

// wait: WAIT numreplicas timeout. No replica ever acknowledges: 0 at
// once when none are asked for (or inside MULTI), else after timeout ms
// (0: until CLIENT UNBLOCK or the client leaves), as Redis without
// replicas.
func wait(ctx *Ctx) {
	n, ok := num.ParseInt(ctx.Args[1])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	ms, ok := num.ParseInt(ctx.Args[2])
	switch {
	case !ok:
		ctx.Err("ERR timeout is not an integer or out of range")
		return
	case ms < 0:
		ctx.Err("ERR timeout is negative")
		return
	}
	if n <= 0 || ctx.C.atomic {
		ctx.W.Int(0)
		return
	}
	d := time.Duration(min(ms, int64(maxWait/time.Millisecond))) * time.Millisecond
	ctx.block(nil, &waiter{kind: blockWait}, d)
}
