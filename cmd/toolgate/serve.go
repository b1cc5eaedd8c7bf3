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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/toolgate/toolgate/background"
	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/gateway"
	"github.com/toolgate/toolgate/oauth"
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

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := tools.NewMetrics(reg)
	recorder := tools.NewRecorder(tools.RecorderConfig{Store: st, Logger: log, Metrics: metrics})
	recorder.Start()
	defer recorder.Stop()
	client := egress.New(egress.Config{AllowNetworks: cfg.AllowNetworks})
	defer client.CloseIdleConnections()
	tokens, err := oauth.New(oauth.Config{
		Store: st, Box: box, HTTPClient: client.HTTPClient(), PublicURL: cfg.PublicURL,
		Skew: cfg.OAuthRefreshSkew, Logger: log,
	})
	if err != nil {
		return err
	}
	engine := tools.NewEngine(tools.EngineConfig{Client: client, Recorder: recorder, Tokens: tokens, Metrics: metrics, Logger: log})
	catalog := tools.NewCatalog(tools.CatalogConfig{Store: st, Box: box})

	queue, err := background.New(ctx, background.Config{
		Store: st, Engine: engine, Catalog: catalog, Client: client, Box: box,
		Workers: cfg.Workers, RescueAfter: cfg.JobRescueAfter, Logger: log,
	})
	if err != nil {
		return err
	}
	// The queue outlives ctx: it is stopped below, after HTTP has drained.
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := queue.Stop(sctx); err != nil {
			log.Error("stopping background workers", "err", err)
		}
	}()

	srv, err := gateway.New(gateway.Config{
		Store: st, Box: box, Engine: engine, Catalog: catalog, Queue: queue, OAuth: tokens, Logger: log,
		Metrics: reg, MetricsPublic: cfg.MetricsPublic, PublicURL: cfg.PublicURL,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	httpServer := &http.Server{
		Handler:           srv.Handler(),
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
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
