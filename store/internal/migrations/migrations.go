// Package migrations loads a store driver's versioned schema changes and
// applies the ones a database lacks. Each driver keeps its own SQL (the
// dialects differ) and its own way of recording what it applied; the file
// naming, ordering and checks are shared.
package migrations

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one versioned schema change, read from a file named
// NNNN_description.sql.
type Migration struct {
	// Version is the file's number.
	Version int
	// Name is the file's base name.
	Name string
	// SQL is the file's content.
	SQL string
}

// Load returns the migrations in the *.sql files of dir in fsys, ordered by
// version. A file whose name does not start with a version number, or two
// files sharing one, is an error.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var migrations []Migration
	for _, name := range names {
		base := path.Base(name)
		prefix, _, ok := strings.Cut(base, "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", base)
		}
		version, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a version number: %w", base, err)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		migrations = append(migrations, Migration{Version: version, Name: base, SQL: string(body)})
	}
	slices.SortFunc(migrations, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(migrations); i++ {
		if migrations[i].Version == migrations[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", migrations[i-1].Name, migrations[i].Name, migrations[i].Version)
		}
	}
	return migrations, nil
}

// Apply loads the migrations of dir in fsys and calls apply with each, in
// order of version, stopping at the first error. apply must skip a
// migration the database already records, and apply and record any other
// in one transaction.
func Apply(ctx context.Context, fsys fs.FS, dir string, apply func(context.Context, Migration) error) error {
	migrations, err := Load(fsys, dir)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if err := apply(ctx, m); err != nil {
			return fmt.Errorf("applying migration %s: %w", m.Name, err)
		}
	}
	return nil
}
