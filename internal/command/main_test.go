package command_test

import (
	"os"
	"testing"

	"github.com/smallredis/smallredis/internal/command"
)

// Every load in these tests unmaps its RDB file once done, so a loaded
// value that still pointed into the file (rather than a copy) would fault
// when a test reads it (TestSaveLoadWithRedis digests every type Redis
// writes).
func TestMain(m *testing.M) {
	command.UnmapAfterLoad(true)
	os.Exit(m.Run())
}
