package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionText is what --version prints from the binary's build information
// (nil if it has none): the module version and the VCS revision that go
// build stamped into the binary, and the Go release that built it.
func versionText(info *debug.BuildInfo) string {
	version, revision := "(unknown)", "no VCS revision"
	if info != nil {
		version = info.Main.Version
		var rev, when string
		modified := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			parts := []string{"revision " + rev}
			if when != "" {
				parts = append(parts, when)
			}
			if modified {
				parts = append(parts, "modified")
			}
			revision = strings.Join(parts, ", ")
		}
	}
	if version == "" {
		version = "(devel)"
	}
	return fmt.Sprintf("secretcat %s (%s) built with %s for %s/%s", version, revision, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
