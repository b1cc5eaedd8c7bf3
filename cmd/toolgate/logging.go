package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// logConfig is how the process logs: TOOLGATE_LOG_FORMAT and
// TOOLGATE_LOG_LEVEL.
type logConfig struct {
	// JSON writes one JSON object per line; otherwise logfmt-like text.
	JSON bool
	// Level is the least severe level written. Defaults to info.
	Level slog.Level
}

func (l *logConfig) setFormat(v string) error {
	switch strings.ToLower(v) {
	case "text":
		l.JSON = false
	case "json":
		l.JSON = true
	default:
		return fmt.Errorf("%q is not a log format: use text or json", v)
	}
	return nil
}

func (l *logConfig) setLevel(v string) error {
	switch strings.ToLower(v) {
	case "debug":
		l.Level = slog.LevelDebug
	case "info":
		l.Level = slog.LevelInfo
	case "warn", "warning":
		l.Level = slog.LevelWarn
	case "error":
		l.Level = slog.LevelError
	default:
		return fmt.Errorf("%q is not a log level: use debug, info, warn or error", v)
	}
	return nil
}

// logger is a logger writing to w as configured.
func (l logConfig) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: l.Level}
	if l.JSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
