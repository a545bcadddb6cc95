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
