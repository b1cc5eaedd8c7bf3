package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuildVersion(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-03-01T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	tests := []struct {
		name     string
		override string
		info     *debug.BuildInfo
		want     buildVersion
		str      string
	}{
		{"stamped", "", stamped,
			buildVersion{Version: "v1.2.0", Revision: "0123456789abcdef0123456789abcdef01234567", Time: "2026-03-01T10:00:00Z", Modified: true, Go: "go1.26.0"},
			"v1.2.0 (commit 0123456789ab, 2026-03-01T10:00:00Z, modified, go1.26.0)"},
		{"-X main.version wins", "v9.9.9", stamped,
			buildVersion{Version: "v9.9.9", Revision: "0123456789abcdef0123456789abcdef01234567", Time: "2026-03-01T10:00:00Z", Modified: true, Go: "go1.26.0"},
			"v9.9.9 (commit 0123456789ab, 2026-03-01T10:00:00Z, modified, go1.26.0)"},
		{"go run: no VCS", "", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			buildVersion{Version: "(devel)", Go: "go1.26.0"}, "(devel) (go1.26.0)"},
		{"no module version", "", &debug.BuildInfo{GoVersion: "go1.26.0"},
			buildVersion{Version: "(devel)", Go: "go1.26.0"}, "(devel) (go1.26.0)"},
		{"clean tree", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}},
			buildVersion{Version: "v1.0.0", Revision: "abc"}, "v1.0.0 (commit abc)"},
		{"no build info", "", nil, buildVersion{Version: "(unknown)"}, "(unknown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := buildVersionOf(tt.override, tt.info)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("buildVersionOf (-want +got):\n%s", diff)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"version"}, envOf(nil), &out, &errs); err != nil {
		t.Fatal(err)
	}
	want := "toolgate " + currentVersion().String() + "\n"
	if out.String() != want || !strings.Contains(out.String(), "go1.") {
		t.Errorf("version printed %q, want %q", out.String(), want)
	}
}
