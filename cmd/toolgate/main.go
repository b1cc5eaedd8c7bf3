// Command toolgate is the tool gateway: `toolgate serve` (the default) runs
// it; `toolgate workspaces create|list` manages tenants; `toolgate migrate`
// applies migrations; `toolgate version` prints the version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "toolgate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, _, err := parseConfig("serve", args, getenv)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, log, stdout)
	case "migrate":
		cfg, _, err := parseConfig("migrate", args, getenv)
		if err != nil {
			return err
		}
		st, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations applied")
		return st.Close()
	case "workspaces":
		return workspacesCommand(ctx, args, getenv, log, stdout)
	case "version":
		fmt.Fprintln(stdout, "toolgate", version)
		return nil
	}
	return fmt.Errorf("unknown command %q (want serve, migrate, workspaces or version)", cmd)
}
