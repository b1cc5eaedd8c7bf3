package main

import (
	"bytes"
	"context"
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
	if err := run(context.Background(), []string{"workspaces"}, env, &out, &errs); err == nil {
		t.Error("workspaces without a subcommand succeeded")
	}
}

func TestParseConfig(t *testing.T) {
	cfg, _, err := parseConfig("serve", nil, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != AddrDefault || cfg.DatabaseURL != DatabaseURLDefault || cfg.RunRetention != RunRetentionDefault || cfg.MetricsPublic {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, _, err = parseConfig("serve", []string{"-addr", "127.0.0.1:9999"}, envOf(map[string]string{
		"TOOLGATE_ADDR": "127.0.0.1:1", "TOOLGATE_ALLOW_NETWORKS": "10.0.0.0/8, 192.168.1.7",
		"TOOLGATE_RUN_RETENTION": "3d", "TOOLGATE_METRICS_PUBLIC": "true", "TOOLGATE_WORKERS": "4",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9999" {
		t.Errorf("a flag must win over the environment: addr %q", cfg.Addr)
	}
	if len(cfg.AllowNetworks) != 2 || cfg.RunRetention != 72*time.Hour || !cfg.MetricsPublic || cfg.Workers != 4 {
		t.Errorf("from the environment: %+v", cfg)
	}
	for name, value := range map[string]string{
		"TOOLGATE_ALLOW_NETWORKS": "10.0.0.0/33",
		"TOOLGATE_RUN_RETENTION":  "soon",
		"TOOLGATE_METRICS_PUBLIC": "maybe",
		"TOOLGATE_WORKERS":        "0",
	} {
		if _, _, err := parseConfig("serve", nil, envOf(map[string]string{name: value})); err == nil || !strings.Contains(err.Error(), name) {
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
