package cmd

import "time"

// SetProgressDelay shortens the time before the progress line shows, so
// that the scripts need no slow runs to see it.
func SetProgressDelay(d time.Duration) { progressDelay = d }
