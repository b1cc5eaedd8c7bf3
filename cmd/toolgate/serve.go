package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/toolgate/toolgate/app"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/telemetry"
	"github.com/toolgate/toolgate/tools"
)

// shutdownTimeout bounds how long in-flight calls may take to finish: the
// longest tool timeout plus room to answer and record.
const shutdownTimeout = time.Duration(tools.TimeoutMSMax)*time.Millisecond + 15*time.Second

var serveCommand = &command{
	name:    "serve",
	summary: "Run the gateway (the default command).",
	notes: `Serves the REST APIs, /mcp, the console at /ui, /healthz, /readyz and
/metrics, and works background runs. Logs go to standard error, one line
per request among them; the admin key generated on first start goes to
standard output. OpenTelemetry traces are exported over OTLP when
OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set;
OTEL_EXPORTER_OTLP_PROTOCOL picks http/protobuf (the default) or grpc.`,
	define: func(fs *flag.FlagSet, c *cli) runner {
		settings := bindSettings(fs, c.getenv, serveSettings, storeSettings, secretSettings, logSettings)
		return func(ctx context.Context, args []string) error {
			if err := noArgs("serve", args); err != nil {
				return err
			}
			cfg, err := settings()
			if err != nil {
				return err
			}
			return serve(ctx, cfg, cfg.Log.logger(c.stderr), c.stdout)
		}
	},
}

// serve runs the gateway until ctx is cancelled, then drains in-flight
// calls and writes every queued run.
func serve(ctx context.Context, cfg *config, log *slog.Logger, out io.Writer) error {
	v := currentVersion()
	tracing, err := telemetry.Setup(ctx, telemetry.Config{ServiceVersion: v.Version, Logger: log})
	if err != nil {
		return err
	}
	// Runs last: the spans of the drained calls are exported too.
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tracing.Shutdown(sctx); err != nil {
			log.Warn("exporting the last spans", "err", err)
		}
	}()
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	box, err := openBox(cfg, log)
	if err != nil {
		return err
	}
	if err := bootstrap(ctx, cfg, st, box, log, out); err != nil {
		return err
	}

	a, err := app.New(ctx, app.Config{
		Store: st, Box: box, AllowNetworks: cfg.AllowNetworks, PublicURL: cfg.PublicURL,
		OAuthRefreshSkew: cfg.OAuthRefreshSkew, Workers: cfg.Workers, JobRescueAfter: cfg.JobRescueAfter,
		MetricsPublic: cfg.MetricsPublic, CORSOrigins: cfg.CORSOrigins, RunRetention: cfg.RunRetention,
		Recording: tools.RecorderConfig{Mode: tools.RecordingMode(cfg.RunRecording), MaxPending: cfg.RunBuffer,
			MaxPendingBytes: cfg.RunBufferBytes},
		GuardrailSweepInterval: cfg.GuardrailSweepInterval, CacheMaxBytes: cfg.CacheMaxBytes,
		Logger: log, TracerProvider: tracing.TracerProvider(),
	})
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	// Stopped after HTTP has drained: background workers, then the
	// recorder writes every queued run.
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := a.Stop(sctx); err != nil {
			log.Error("stopping background workers", "err", err)
		}
	}()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	httpServer := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// MCP clients' GET streams end at once rather than hold up draining.
	httpServer.RegisterOnShutdown(a.Server.MCP.Close)
	go retainRuns(ctx, st, cfg.RunRetention, log)

	log.Info("toolgate listening", "addr", ln.Addr().String(), "store", storeKind(cfg), "version", v.Version,
		"commit", v.Revision, "tracing", tracing.Enabled())
	fmt.Fprintf(out, "toolgate listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight calls")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := httpServer.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func storeKind(cfg *config) string {
	if isPostgres(cfg.DatabaseURL) {
		return "postgres"
	}
	return "sqlite:" + sqlitePath(cfg.DatabaseURL)
}

// retainRuns deletes runs older than the retention, at start and hourly.
func retainRuns(ctx context.Context, st store.Store, retention time.Duration, log *slog.Logger) {
	ticker := time.NewTicker(time.Hour)
	defer ticker.Stop()
	for {
		n, err := st.RunDeleteBefore(ctx, time.Now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("deleting old runs", "err", err)
		case n > 0:
			log.Info("deleted old runs", "count", n)
		}
		retainFlowSessions(ctx, st, time.Now().Add(-retention), log)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
