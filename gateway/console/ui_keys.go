package console

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/store"
)

// uiKeyRow is one key of the keys page.
type uiKeyRow struct {
	admin.Key
	AgentName string
	// Current marks the admin key this session signed in with.
	Current bool
}

// uiKeysData is the keys page's content.
type uiKeysData struct {
	Keys []uiKeyRow
	// NewKey is shown once, right after it is created.
	NewKey *admin.Key
	Errors []uiDetail
}

func (u *Console) uiKeys(c *gin.Context) error { return u.renderKeys(c, http.StatusOK, nil, nil) }

// renderKeys lists the workspace's keys, newest first.
func (u *Console) renderKeys(c *gin.Context, status int, newKey *admin.Key, errs []uiDetail) error {
	ctx, p := c.Request.Context(), httpapi.Who(c)
	names, _, err := u.agentNames(c)
	if err != nil {
		return err
	}
	data := uiKeysData{NewKey: newKey, Errors: errs}
	lp := everything
	for range 20 {
		keys, err := u.Admin.Keys.List(ctx, p.WorkspaceID, lp)
		if err != nil {
			return err
		}
		for _, k := range keys.Items {
			data.Keys = append(data.Keys, uiKeyRow{Key: k, AgentName: names[k.AgentID], Current: k.ID == p.KeyID})
		}
		if keys.Next == "" {
			break
		}
		lp.Cursor = keys.Next
	}
	slices.SortFunc(data.Keys, func(x, y uiKeyRow) int { return y.CreatedAt.Compare(x.CreatedAt) })
	u.uiRender(c, status, "keys", uiPage{Title: "Keys", Nav: "keys", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// uiCreateAdminKey creates an admin key and shows it once, in this
// response only. Agent keys are created on their agent's page.
func (u *Console) uiCreateAdminKey(c *gin.Context) error {
	k, err := u.Admin.Keys.Create(c.Request.Context(), httpapi.Who(c).WorkspaceID, &admin.KeyInput{Name: uiFormValue(c, "name"), Role: store.RoleAdmin})
	var errs []uiDetail
	if err != nil && formInvalid(err, &errs) {
		return u.renderKeys(c, http.StatusUnprocessableEntity, nil, errs)
	}
	if err != nil {
		return err
	}
	return u.renderKeys(c, http.StatusOK, k, nil)
}

func (u *Console) uiConfirmRevokeKey(c *gin.Context) error {
	d := uiConfirmData{Title: "Revoke this key?",
		Message: "Calls with the key are refused at once, and console sessions signed in with it end. A revoked key cannot be restored.",
		Action:  "/ui/keys/" + url.PathEscape(c.Param("id")) + "/revoke", Cancel: "/ui/keys", Button: "Revoke key"}
	if c.Param("id") == httpapi.Who(c).KeyID {
		d.Consequence = "This is the key you signed in with: revoking it signs you out."
	}
	u.renderConfirm(c, "keys", d)
	return nil
}

// uiRevokeKey revokes a key; revoking the session's own key ends the
// session, so the browser goes to the sign-in page.
func (u *Console) uiRevokeKey(c *gin.Context) error {
	id := c.Param("id")
	if err := u.Admin.Keys.Revoke(c.Request.Context(), httpapi.Who(c).WorkspaceID, id); err != nil {
		return err
	}
	if id == httpapi.Who(c).KeyID {
		u.setUICookie(c, SessionCookie, "", -1)
		c.Redirect(http.StatusSeeOther, "/ui/signin")
		return nil
	}
	c.Redirect(http.StatusSeeOther, "/ui/keys")
	return nil
}
