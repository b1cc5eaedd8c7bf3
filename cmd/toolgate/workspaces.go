package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
)

var workspacesCreateCommand = &command{
	name:    "workspaces create",
	args:    "NAME",
	summary: "Create a workspace (a tenant); print its first admin key once.",
	define: func(fs *flag.FlagSet, c *cli) runner {
		settings := bindSettings(fs, c.getenv, storeSettings, secretSettings, logSettings)
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
				return usagef("usage: toolgate workspaces create NAME")
			}
			name := strings.TrimSpace(args[0])
			cfg, err := settings()
			if err != nil {
				return err
			}
			st, err := openStore(ctx, cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			box, err := openBox(cfg, cfg.Log.logger(c.stderr))
			if err != nil {
				return err
			}
			ws, err := tenant.Create(ctx, st, box, name)
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("a workspace named %q exists", name)
			}
			if err != nil {
				return err
			}
			plain, err := tenant.AddAdminKey(ctx, st, ws.ID, "initial", "")
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "workspace %s (%s) created. Its admin key (shown once):\n%s\n", ws.Name, ws.ID, plain)
			return nil
		}
	},
}

var workspacesListCommand = &command{
	name:    "workspaces list",
	summary: "List the workspaces: ID, name, creation time.",
	define: func(fs *flag.FlagSet, c *cli) runner {
		settings := bindSettings(fs, c.getenv, storeSettings, logSettings)
		return func(ctx context.Context, args []string) error {
			if err := noArgs("workspaces list", args); err != nil {
				return err
			}
			cfg, err := settings()
			if err != nil {
				return err
			}
			st, err := openStore(ctx, cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			list, err := st.WorkspaceList(ctx)
			if err != nil {
				return err
			}
			for _, ws := range list {
				fmt.Fprintf(c.stdout, "%s\t%s\t%s\n", ws.ID, ws.Name, ws.CreatedAt.Format(time.RFC3339))
			}
			return nil
		}
	},
}
