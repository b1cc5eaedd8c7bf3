package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/toolgate/toolgate/app"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// shutdownTimeout bounds how long in-flight calls may take to finish: the
// longest tool timeout plus room to answer and record.
const shutdownTimeout = time.Duration(tools.TimeoutMSMax)*time.Millisecond + 15*time.Second

// serve runs the gateway until ctx is cancelled, then drains in-flight
// calls and writes every queued run.
func serve(ctx context.Context, cfg *config, log *slog.Logger, out io.Writer) error {
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
		MetricsPublic: cfg.MetricsPublic, Logger: log,
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
	go retainRuns(ctx, st, cfg.RunRetention, log)

	log.Info("toolgate listening", "addr", ln.Addr().String(), "store", storeKind(cfg), "version", version)
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
