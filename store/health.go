package store

import "fmt"

// CheckMigrations is Ping's verdict on a schema: nil when every version of
// want is applied, else ErrMigrationsPending naming the first missing one.
// Versions applied beyond want (by a newer replica) are fine.
func CheckMigrations(want []int, applied map[int]bool) error {
	missing := 0
	first := 0
	for _, v := range want {
		if !applied[v] {
			if missing == 0 {
				first = v
			}
			missing++
		}
	}
	if missing > 0 {
		return fmt.Errorf("%w: %d of %d not applied, the first is %04d", ErrMigrationsPending, missing, len(want), first)
	}
	return nil
}
