package cmd

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestVersionText(t *testing.T) {
	goVersion := " built with " + runtime.Version() + " for " + runtime.GOOS + "/" + runtime.GOARCH
	stamped := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/secretcat/secretcat", Version: "v0.0.0-20261124071943-164c92da0b1e+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "164c92da0b1e9fba15acafd87dfd601c42618850"},
			{Key: "vcs.time", Value: "2026-11-24T07:19:43Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, c := range []struct {
		info *debug.BuildInfo
		want string
	}{
		{stamped, "secretcat v0.0.0-20261124071943-164c92da0b1e+dirty (revision 164c92da0b1e9fba15acafd87dfd601c42618850, 2026-11-24T07:19:43Z, modified)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "secretcat v1.2.3 (no VCS revision)"},
		{&debug.BuildInfo{}, "secretcat (devel) (no VCS revision)"},
		{nil, "secretcat (unknown) (no VCS revision)"},
	} {
		if got := versionText(c.info); got != c.want+goVersion {
			t.Errorf("versionText = %q, want %q", got, c.want+goVersion)
		}
	}
}
