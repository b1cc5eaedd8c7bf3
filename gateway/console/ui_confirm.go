package console

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// uiConfirmData is a confirmation page: a GET that asks, with a form that
// POSTs the destructive action. It works without script; nothing is
// deleted by following a link.
type uiConfirmData struct {
	Title, Message, Consequence string
	// Action is where the form posts; Cancel where "Cancel" goes.
	Action, Cancel string
	Button         string
}

// renderConfirm shows a confirmation page.
func (u *Console) renderConfirm(c *gin.Context, nav string, d uiConfirmData) {
	u.uiRender(c, http.StatusOK, "confirm", uiPage{Title: d.Title, Nav: nav, CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: d})
}
