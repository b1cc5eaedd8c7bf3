package migrations_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store/internal/migrations"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []migrations.Migration
		wantErr bool
	}{
		{
			name: "ordered by version, not by name",
			files: fstest.MapFS{
				"m/0010_ten.sql":   {Data: []byte("ten")},
				"m/0002_two.sql":   {Data: []byte("two")},
				"m/0001_one.sql":   {Data: []byte("one")},
				"m/readme.txt":     {Data: []byte("not a migration")},
				"other/0003_x.sql": {Data: []byte("elsewhere")},
			},
			want: []migrations.Migration{
				{Version: 1, Name: "0001_one.sql", SQL: "one"},
				{Version: 2, Name: "0002_two.sql", SQL: "two"},
				{Version: 10, Name: "0010_ten.sql", SQL: "ten"},
			},
		},
		{name: "empty", files: fstest.MapFS{}},
		{name: "no description", files: fstest.MapFS{"m/0001.sql": {}}, wantErr: true},
		{name: "no version", files: fstest.MapFS{"m/init_schema.sql": {}}, wantErr: true},
		{name: "shared version", files: fstest.MapFS{"m/0001_a.sql": {}, "m/1_b.sql": {}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := migrations.Load(tt.files, "m")
			if (err != nil) != tt.wantErr {
				t.Fatalf("Load: got error %v, want error %t", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApply(t *testing.T) {
	files := fstest.MapFS{
		"m/0001_one.sql":   {Data: []byte("one")},
		"m/0002_two.sql":   {Data: []byte("two")},
		"m/0003_three.sql": {Data: []byte("three")},
	}
	var applied []int
	if err := migrations.Apply(t.Context(), files, "m", func(_ context.Context, m migrations.Migration) error {
		applied = append(applied, m.Version)
		return nil
	}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if diff := cmp.Diff([]int{1, 2, 3}, applied); diff != "" {
		t.Errorf("applied versions mismatch (-want +got):\n%s", diff)
	}

	// The first failure stops the run and names the migration.
	errBroken := errors.New("broken")
	applied = nil
	err := migrations.Apply(t.Context(), files, "m", func(_ context.Context, m migrations.Migration) error {
		applied = append(applied, m.Version)
		if m.Version == 2 {
			return errBroken
		}
		return nil
	})
	if !errors.Is(err, errBroken) {
		t.Fatalf("Apply: got error %v, want %v", err, errBroken)
	}
	if want := "applying migration 0002_two.sql: broken"; err.Error() != want {
		t.Errorf("Apply error: got %q, want %q", err, want)
	}
	if diff := cmp.Diff([]int{1, 2}, applied); diff != "" {
		t.Errorf("applied versions mismatch (-want +got):\n%s", diff)
	}
}
