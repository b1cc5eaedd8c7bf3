package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/toolgate/toolgate/apikey"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/tenant"
)

// DefaultWorkspace is the workspace of the bootstrap admin key.
const DefaultWorkspace = "default"

// openStore opens the configured store, applying migrations.
func openStore(ctx context.Context, cfg *config) (store.Store, error) {
	if isPostgres(cfg.DatabaseURL) {
		return postgres.Open(ctx, cfg.DatabaseURL)
	}
	return sqlite.Open(ctx, sqlitePath(cfg.DatabaseURL))
}

// openBox loads the secret key: from configuration, or (SQLite only) from a
// key file beside the database, generated on first use.
func openBox(cfg *config, log *slog.Logger) (*secrets.Box, error) {
	var key []byte
	var err error
	switch {
	case cfg.SecretKey != "":
		key, err = secrets.ParseKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("TOOLGATE_SECRET_KEY: %w", err)
		}
	case isPostgres(cfg.DatabaseURL):
		return nil, errors.New("TOOLGATE_SECRET_KEY is required with PostgreSQL (base64 of 32 bytes, e.g. `openssl rand -base64 32`)")
	default:
		key, err = secrets.LoadOrCreateKeyFile(sqlitePath(cfg.DatabaseURL)+".key", log)
		if err != nil {
			return nil, err
		}
	}
	return secrets.NewBox(key)
}

// bootstrap makes sure an admin can get in: the default workspace exists,
// TOOLGATE_ADMIN_KEY (if set) is one of its keys, and on a store with no
// keys at all a generated admin key is printed once.
func bootstrap(ctx context.Context, cfg *config, st store.Store, box *secrets.Box, log *slog.Logger, out io.Writer) error {
	if cfg.AdminKey != "" && !apikey.LooksValid(cfg.AdminKey) {
		return errors.New(`TOOLGATE_ADMIN_KEY must look like "tg_" followed by at least 16 characters`)
	}
	count, err := st.APIKeyCount(ctx)
	if err != nil {
		return err
	}
	if count > 0 && cfg.AdminKey == "" {
		return nil
	}
	if cfg.AdminKey != "" {
		if _, err := st.APIKeyGetByHash(ctx, apikey.Hash(cfg.AdminKey)); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	ws, err := st.WorkspaceGetByName(ctx, DefaultWorkspace)
	if errors.Is(err, store.ErrNotFound) {
		ws, err = tenant.Create(ctx, st, box, DefaultWorkspace)
		if errors.Is(err, store.ErrConflict) { // another replica won the race
			ws, err = st.WorkspaceGetByName(ctx, DefaultWorkspace)
		}
	}
	if err != nil {
		return err
	}
	plain, err := tenant.AddAdminKey(ctx, st, ws.ID, "bootstrap", cfg.AdminKey)
	if errors.Is(err, store.ErrConflict) {
		return nil // another replica stored the same key
	}
	if err != nil {
		return err
	}
	if cfg.AdminKey != "" {
		log.Info("bootstrap admin key from TOOLGATE_ADMIN_KEY stored", "workspace", ws.Name, "prefix", apikey.Display(plain))
		return nil
	}
	fmt.Fprintf(out, "\nCreated the %q workspace. Its admin key (shown once, store it now):\n\n    %s\n\n", ws.Name, plain)
	return nil
}
