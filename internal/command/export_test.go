package command

// UnmapAfterLoad makes a load unmap its file (rdbmap.go) for the test run.
func UnmapAfterLoad(on bool) { unmapAfterLoad.Store(on) }
