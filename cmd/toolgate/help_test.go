package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

// flagsOf lists the flags a command declares.
func flagsOf(cmd *command) []string {
	fs := cmd.flagSet()
	cmd.define(fs, &cli{getenv: func(string) string { return "" }})
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, "-"+f.Name) })
	return names
}

func TestHelp(t *testing.T) {
	byName := map[string]*command{}
	for _, cmd := range commands {
		byName[cmd.name] = cmd
	}
	everything := func(t *testing.T, out string) {
		for _, cmd := range commands {
			if !strings.Contains(out, "toolgate "+cmd.name) {
				t.Errorf("help does not show command %q", cmd.name)
			}
		}
		for _, cmd := range commands {
			for _, f := range flagsOf(cmd) {
				if !strings.Contains(out, "  "+f+" ") && !strings.Contains(out, "  "+f+"\n") {
					t.Errorf("help does not show %s's flag %s", cmd.name, f)
				}
			}
		}
	}
	only := func(names ...string) func(t *testing.T, out string) {
		return func(t *testing.T, out string) {
			shown := map[string]bool{}
			for _, name := range names {
				shown[name] = true
				if !strings.Contains(out, "toolgate "+name) {
					t.Errorf("help does not show %q", name)
				}
				for _, f := range flagsOf(byName[name]) {
					if !strings.Contains(out, "  "+f+" ") && !strings.Contains(out, "  "+f+"\n") {
						t.Errorf("help of %s does not show its flag %s", name, f)
					}
				}
			}
			for _, cmd := range commands {
				if !shown[cmd.name] && strings.Contains(out, "toolgate "+cmd.name+" ") {
					t.Errorf("help of %v shows %q too", names, cmd.name)
				}
			}
		}
	}
	tests := []struct {
		args  []string
		check func(t *testing.T, out string)
	}{
		{[]string{"help"}, everything},
		{[]string{"--help"}, everything},
		{[]string{"-help"}, everything},
		{[]string{"-h"}, everything},
		{[]string{"serve", "--help"}, only("serve")},
		{[]string{"migrate", "--help"}, only("migrate")},
		{[]string{"migrate", "-h"}, only("migrate")},
		{[]string{"help", "migrate"}, only("migrate")},
		{[]string{"workspaces", "create", "-help"}, only("workspaces create")},
		{[]string{"workspaces", "--help"}, only("workspaces create", "workspaces list")},
		{[]string{"help", "workspaces"}, only("workspaces create", "workspaces list")},
		{[]string{"help", "workspaces", "list"}, only("workspaces list")},
		{[]string{"version", "-h"}, only("version")},
		{[]string{"apply", "--help"}, only("apply")},
		{[]string{"help", "export"}, only("export")},
		{[]string{"import", "openapi", "-h"}, only("import openapi")},
		{[]string{"help", "import"}, only("import openapi")},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errs bytes.Buffer
			if err := run(context.Background(), tt.args, envOf(nil), &out, &errs); err != nil {
				t.Fatalf("run: %v", err)
			}
			if errs.Len() > 0 {
				t.Errorf("help wrote to stderr: %q", errs.String())
			}
			tt.check(t, out.String())
		})
	}
}

// TestHelpShowsNoEnvironmentValue: a flag's default in help is the
// built-in one, never the value of its environment variable (a key).
func TestHelpShowsNoEnvironmentValue(t *testing.T) {
	const secret = "tg_do_not_print_me_0123456789"
	env := envOf(map[string]string{"TOOLGATE_ADMIN_KEY": secret, "TOOLGATE_SECRET_KEY": secret, "TOOLGATE_DATABASE_URL": "postgres://u:" + secret + "@h/db"})
	for _, args := range [][]string{{"help"}, {"serve", "-h"}, {"workspaces", "create", "-h"}} {
		var out, errs bytes.Buffer
		if err := run(context.Background(), args, env, &out, &errs); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String()+errs.String(), secret) {
			t.Errorf("%q printed an environment value", args)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args       []string
		wantErr    string
		wantStderr string
	}{
		{[]string{"nope"}, `unknown command "nope"`, ""},
		{[]string{"help", "nope"}, `no help for "nope"`, ""},
		{[]string{"workspaces"}, "workspaces needs one of the subcommands", "workspaces create"},
		{[]string{"workspaces", "delete"}, `unknown command "workspaces delete"`, "workspaces list"},
		{[]string{"migrate", "-addr", "x"}, "flag provided but not defined: -addr", ""},
		{[]string{"migrate", "extra"}, "migrate takes no arguments", ""},
		{[]string{"version", "extra"}, "version takes no arguments", ""},
		{[]string{"-bogus"}, "serve: flag provided but not defined: -bogus", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errs bytes.Buffer
			err := run(context.Background(), tt.args, envOf(nil), &out, &errs)
			var usage *usageError
			if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want a usage error containing %q", err, tt.wantErr)
			}
			if !strings.Contains(errs.String(), tt.wantStderr) {
				t.Errorf("stderr %q, want it to contain %q", errs.String(), tt.wantStderr)
			}
			if out.Len() > 0 {
				t.Errorf("a usage error wrote to stdout: %q", out.String())
			}
		})
	}
}
