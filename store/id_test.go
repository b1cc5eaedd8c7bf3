package store

import (
	"testing"
	"time"
)

func TestIDTimes(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 30, 0, 123456789, time.UTC)
	id := NewIDAt(at)
	got, ok := IDTime(id)
	if !ok || !got.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("IDTime(NewIDAt(%v)) = %v, %v", at, got, ok)
	}
	if floor := IDFloor(at); !(floor <= id) || !(IDFloor(at.Add(time.Millisecond)) > id) {
		t.Errorf("floors around %s: %s, %s", id, floor, IDFloor(at.Add(time.Millisecond)))
	}
	if a, b := NewIDAt(at), NewIDAt(at.Add(time.Second)); !(a < b) {
		t.Errorf("IDs do not sort by time: %s >= %s", a, b)
	}
}
