package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"runtime/debug"
	"strings"
)

// version, when set at build time with -ldflags "-X main.version=v1.2.3",
// overrides the module version read from the build info.
var version string

var versionCommand = &command{
	name:    "version",
	summary: "Print the version, commit and Go version of this binary.",
	define: func(fs *flag.FlagSet, c *cli) runner {
		return func(_ context.Context, args []string) error {
			if err := noArgs("version", args); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, "toolgate", currentVersion())
			return nil
		}
	},
}

// buildVersion is what a binary knows of its own build.
type buildVersion struct {
	// Version is the -X main.version override, or the module version
	// (a tag, a pseudo-version, or "(devel)").
	Version string
	// Revision, Time and Modified are the VCS commit, its time and whether
	// the work tree had uncommitted changes; empty when the build did not
	// stamp them (go run, -buildvcs=false).
	Revision string
	Time     string
	Modified bool
	// Go is the Go version the binary was built with.
	Go string
}

// buildVersionOf reads a build's version from its build info (nil when
// the binary has none).
func buildVersionOf(override string, info *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: override}
	if info == nil {
		v.Version = cmp.Or(v.Version, "(unknown)")
		return v
	}
	v.Version = cmp.Or(v.Version, info.Main.Version, "(devel)")
	v.Go = info.GoVersion
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the version and, in parentheses, the commit (12 characters),
// its time, "modified" and the Go version, as far as they are known:
// "v1.2.0 (commit 0123456789ab, 2026-03-01T10:00:00Z, modified, go1.26.0)".
func (v buildVersion) String() string {
	var parts []string
	if v.Revision != "" {
		parts = append(parts, "commit "+v.Revision[:min(12, len(v.Revision))])
	}
	if v.Time != "" {
		parts = append(parts, v.Time)
	}
	if v.Modified {
		parts = append(parts, "modified")
	}
	if v.Go != "" {
		parts = append(parts, v.Go)
	}
	if len(parts) == 0 {
		return v.Version
	}
	return v.Version + " (" + strings.Join(parts, ", ") + ")"
}

// currentVersion is this binary's version.
func currentVersion() buildVersion {
	info, _ := debug.ReadBuildInfo()
	return buildVersionOf(version, info)
}
