package console

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/gateway/httpapi"
)

// uiValidateTool validates an edited definition without saving it, for
// the editor's live report: the form field "definition" in, the
// validation report (valid, errors, warnings) out as JSON. A definition
// that does not parse is an invalid report, not an error. Like every
// console POST it needs the session's CSRF token (the script sends it as
// X-CSRF-Token).
func (u *Console) uiValidateTool(c *gin.Context) error {
	report, err := u.Admin.Tools.ValidateDefinition(c.Request.Context(), httpapi.Who(c).WorkspaceID, []byte(c.PostForm("definition")))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, report)
	return nil
}

// uiJSONHandle adapts a JSON endpoint's handler: an error is answered as
// JSON (the script shows its message), not as the error page.
func (u *Console) uiJSONHandle(h httpapi.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			pub := httpapi.PublicOf(err)
			c.JSON(pub.Status, gin.H{"error": gin.H{"message": pub.Message}})
		}
	}
}

func (u *Console) uiConfirmDeleteTool(c *gin.Context) error {
	t, err := u.Admin.Tools.Get(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	path := "/ui/tools/" + url.PathEscape(t.ID)
	u.renderConfirm(c, "tools", uiConfirmData{Title: "Delete tool " + t.Name + "?",
		Message:     "The tool's draft and every published version are deleted. Its runs stay. This cannot be undone.",
		Consequence: "Agents that activated " + t.Name + " can no longer call it.",
		Action:      path + "/delete", Cancel: path, Button: "Delete tool"})
	return nil
}

func (u *Console) uiDeleteTool(c *gin.Context) error {
	if err := u.Admin.Tools.Delete(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id")); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/tools?deleted=1")
	return nil
}
