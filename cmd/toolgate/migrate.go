package main

import (
	"context"
	"flag"
	"fmt"
)

var migrateCommand = &command{
	name:    "migrate",
	summary: "Apply the database migrations this version needs, then exit.",
	notes: `serve applies them too when it starts; run migrate first to upgrade
the schema of a fleet before starting the new version.`,
	define: func(fs *flag.FlagSet, c *cli) runner {
		settings := bindSettings(fs, c.getenv, storeSettings, logSettings)
		return func(ctx context.Context, args []string) error {
			if err := noArgs("migrate", args); err != nil {
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
			fmt.Fprintln(c.stdout, "migrations applied")
			return st.Close()
		}
	},
}
