package config

import (
	"strconv"
	"strings"
	"time"
)

// OutputClass is a client class of client-output-buffer-limit.
type OutputClass int

// The classes, in the order CONFIG GET lists them.
const (
	OutputNormal OutputClass = iota
	OutputReplica
	OutputPubSub
)

// OutputLimit is one class's client-output-buffer-limit: a client is
// closed once its pending output reaches Hard, or stays at Soft or above
// for longer than SoftTime. Zero disables a limit.
type OutputLimit struct {
	Hard, Soft int64
	SoftTime   time.Duration
}

var idOutputBufferLimit = mustLookup("client-output-buffer-limit")

// OutputBufferLimit is client-output-buffer-limit for one class. It parses
// the stored value: call it when the directive changes (OnChange), not per
// reply.
func (c *Config) OutputBufferLimit(class OutputClass) OutputLimit {
	f := strings.Fields(c.str(idOutputBufferLimit)) // normal h s secs slave h s secs pubsub h s secs
	i := int(class) * 4
	if i+3 >= len(f) {
		return OutputLimit{}
	}
	hard, _ := strconv.ParseInt(f[i+1], 10, 64)
	soft, _ := strconv.ParseInt(f[i+2], 10, 64)
	secs, _ := strconv.ParseInt(f[i+3], 10, 64)
	return OutputLimit{Hard: hard, Soft: soft, SoftTime: time.Duration(secs) * time.Second}
}
