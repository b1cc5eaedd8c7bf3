package main

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestWorkspacesCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "toolgate.db")
	env := envOf(map[string]string{"TOOLGATE_DATABASE_URL": db})
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"workspaces", "create", "acme"}, env, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "workspace acme") || !strings.Contains(out.String(), "tg_") {
		t.Errorf("create printed %q, want the workspace and its key", out.String())
	}
	if err := run(context.Background(), []string{"workspaces", "create", "acme"}, env, &out, &errs); err == nil {
		t.Error("creating a duplicate workspace succeeded")
	}
	out.Reset()
	if err := run(context.Background(), []string{"workspaces", "list"}, env, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\tacme\t") {
		t.Errorf("list printed %q, want acme", out.String())
	}
	for _, args := range [][]string{{"workspaces"}, {"workspaces", "create"}, {"workspaces", "list", "extra"}} {
		if err := run(context.Background(), args, env, &out, &errs); err == nil {
			t.Errorf("%q succeeded", args)
		}
	}
}

func TestMigrateCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "toolgate.db")
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "-database-url", db}, envOf(nil), &out, &errs); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "migrations applied\n" {
		t.Errorf("migrate printed %q", got)
	}
}

// configOf parses args for the settings groups, as a command would.
func configOf(t *testing.T, args []string, env map[string]string, groups ...[]setting) (*config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	build := bindSettings(fs, envOf(env), groups...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return build()
}

func TestSettings(t *testing.T) {
	all := [][]setting{serveSettings, storeSettings, secretSettings, logSettings}
	cfg, err := configOf(t, nil, nil, all...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != AddrDefault || cfg.DatabaseURL != DatabaseURLDefault || cfg.RunRetention != RunRetentionDefault || cfg.MetricsPublic ||
		cfg.Log.JSON || cfg.Log.Level.String() != "INFO" || cfg.PublicURL != "http://127.0.0.1:8080" {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, err = configOf(t, []string{"-addr", "127.0.0.1:9999", "-log-level", "warn"}, map[string]string{
		"TOOLGATE_ADDR": "127.0.0.1:1", "TOOLGATE_ALLOW_NETWORKS": "10.0.0.0/8, 192.168.1.7",
		"TOOLGATE_RUN_RETENTION": "3d", "TOOLGATE_METRICS_PUBLIC": "true", "TOOLGATE_WORKERS": "4",
		"TOOLGATE_LOG_FORMAT": "json", "TOOLGATE_LOG_LEVEL": "debug",
		"TOOLGATE_GUARDRAIL_SWEEP_INTERVAL": "2s", "TOOLGATE_CACHE_MAX_BYTES": "1024",
	}, all...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9999" || cfg.Log.Level.String() != "WARN" {
		t.Errorf("a flag must win over the environment: addr %q, log level %v", cfg.Addr, cfg.Log.Level)
	}
	if len(cfg.AllowNetworks) != 2 || cfg.RunRetention != 72*time.Hour || !cfg.MetricsPublic || cfg.Workers != 4 || !cfg.Log.JSON ||
		cfg.GuardrailSweepInterval != 2*time.Second || cfg.CacheMaxBytes != 1024 {
		t.Errorf("from the environment: %+v", cfg)
	}
	for name, value := range map[string]string{
		"TOOLGATE_ADDR":                     "",
		"TOOLGATE_ALLOW_NETWORKS":           "10.0.0.0/33",
		"TOOLGATE_RUN_RETENTION":            "soon",
		"TOOLGATE_METRICS_PUBLIC":           "maybe",
		"TOOLGATE_WORKERS":                  "0",
		"TOOLGATE_PUBLIC_URL":               "ftp://example.com",
		"TOOLGATE_LOG_FORMAT":               "xml",
		"TOOLGATE_LOG_LEVEL":                "loud",
		"TOOLGATE_GUARDRAIL_SWEEP_INTERVAL": "0s",
		"TOOLGATE_CACHE_MAX_BYTES":          "-1",
	} {
		args := []string{}
		if value == "" { // an empty variable means unset: the flag must refuse empty
			args = []string{"-addr", ""}
		}
		if _, err := configOf(t, args, map[string]string{name: value}, all...); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v, want one naming %s", name, value, err, name)
		}
	}
	if isPostgres("sqlite:x.db") || !isPostgres("postgresql://h/db") || sqlitePath("sqlite:/tmp/x.db") != "/tmp/x.db" {
		t.Error("database URL selection")
	}
}

func TestPostgresNeedsSecretKey(t *testing.T) {
	cfg := &config{DatabaseURL: "postgres://127.0.0.1:1/x"}
	if _, err := openBox(cfg, nil); err == nil || !strings.Contains(err.Error(), "TOOLGATE_SECRET_KEY") {
		t.Errorf("PostgreSQL without a secret key: %v", err)
	}
}

// TestFlagsAfterArguments: flags may follow the positional arguments, and
// "--" ends the flags.
func TestFlagsAfterArguments(t *testing.T) {
	db := filepath.Join(t.TempDir(), "toolgate.db")
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"workspaces", "create", "acme", "-database-url", db}, envOf(nil), &out, &errs); err != nil {
		t.Fatalf("a flag after the argument: %v", err)
	}
	if err := run(context.Background(), []string{"workspaces", "create", "-database-url", db, "--", "-odd"}, envOf(nil), &out, &errs); err != nil {
		t.Fatalf("an argument after --: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"workspaces", "list", "-database-url", db}, envOf(nil), &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\tacme\t") || !strings.Contains(out.String(), "\t-odd\t") {
		t.Errorf("list printed %q, want acme and -odd", out.String())
	}
}
