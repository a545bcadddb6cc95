package acl

import "github.com/smallredis/smallredis/internal/sdsargs"

// splitArgs splits a selector's rules as Redis's sdssplitargs does
// (package sdsargs).
func splitArgs(s string) (args []string, ok bool) { return sdsargs.Split(s) }
