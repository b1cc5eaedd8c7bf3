package gateway

import (
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/tenant"
)

// CallbackSignatureHeader names the header that signs callbacks.
const CallbackSignatureHeader = "X-Toolgate-Signature"

type workspaceView struct {
	ID        string           `json:"id"`
	Name      string           `json:"name"`
	CreatedAt time.Time        `json:"created_at"`
	Callbacks callbackSettings `json:"callbacks"`
}

// callbackSettings tells an admin how to verify callbacks.
type callbackSettings struct {
	SignatureHeader string `json:"signature_header"`
	Scheme          string `json:"scheme"`
	SigningSecret   string `json:"signing_secret"`
}

// getWorkspace shows the admin's workspace, including the secret that signs
// its callbacks (admins configure their receivers with it).
func (s *Server) getWorkspace(c *gin.Context) error {
	ws, err := s.store.WorkspaceGet(c.Request.Context(), who(c).WorkspaceID)
	if err != nil {
		return notFoundAs(err, "workspace")
	}
	secret, err := s.box.Open(ws.SigningSecret, tenant.SigningSecretAAD(ws.ID))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, workspaceView{
		ID: ws.ID, Name: ws.Name, CreatedAt: ws.CreatedAt,
		Callbacks: callbackSettings{
			SignatureHeader: CallbackSignatureHeader,
			Scheme:          `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">, keyed with the bytes signing_secret (hex) decodes to`,
			SigningSecret:   hex.EncodeToString(secret),
		},
	})
	return nil
}
