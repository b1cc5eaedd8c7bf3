package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/store"
)

// readyTimeout bounds a readiness check: a load balancer's probe gets an
// answer even when the database hangs.
const readyTimeout = 2 * time.Second

// healthz answers liveness: the process serves HTTP.
func healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// readyz answers readiness, for load balancers: 200 when ready (the store
// answers and has every migration applied), else 503 in the one error
// shape, saying what is wrong without internal detail (which is logged).
func readyz(ready func(context.Context) error, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
		defer cancel()
		err := ready(ctx)
		if err == nil {
			c.JSON(http.StatusOK, gin.H{"status": "ready"})
			return
		}
		log.WarnContext(ctx, "not ready", slog.Any("err", err))
		msg := "the store does not answer"
		if errors.Is(err, store.ErrMigrationsPending) {
			msg = "the database lacks migrations this version needs: run `toolgate migrate`"
		}
		httpapi.WritePublic(c, httpapi.Public{Status: http.StatusServiceUnavailable, Type: "not_ready", Message: msg})
	}
}
