package console

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/tools"
)

// uiAuthTypes are the auth types the connection form offers.
var uiAuthTypes = []string{tools.AuthNone, tools.AuthBearer, tools.AuthAPIKey, tools.AuthBasic,
	tools.AuthOAuth2ClientCredentials, tools.AuthOAuth2AuthorizationCode}

// uiNewRows is how many empty header and secret rows a form offers.
const uiNewRows = 2

// uiHeaderRow is one header of the connection form. A header whose name
// marks a credential and whose value is literal (no placeholder) is
// write-only like a secret: its value is never sent to the browser, and a
// blank value keeps it.
type uiHeaderRow struct {
	Index       int
	Name, Value string
	WriteOnly   bool
}

// uiSecretRow is one secret of the connection form: a stored one (its
// name fixed, whether it is set) or an empty row for a new one.
type uiSecretRow struct {
	Index int
	Name  string
	Set   bool
	New   bool
}

// uiConnectionForm is the connection form's content: a new connection
// (ID "") or an existing one, as stored or as just submitted.
type uiConnectionForm struct {
	ID      string
	Name    string
	BaseURL string
	Auth    tools.Auth
	Scopes  string
	Config  string
	Headers []uiHeaderRow
	Secrets []uiSecret
	// HeaderRows and SecretRows are Headers and Secrets with empty rows
	// for new ones, numbered as the form fields are.
	HeaderRows []uiHeaderRow
	SecretRows []uiSecretRow
	AuthTypes  []string
	Errors     []uiDetail
	Saved      bool
	OAuth      string
}

func (u *Console) uiNewConnection(c *gin.Context) error {
	f := uiConnectionForm{Auth: tools.Auth{Type: tools.AuthNone}, Config: "{}"}
	return u.renderConnectionForm(c, http.StatusOK, &f)
}

func (u *Console) uiConnection(c *gin.Context) error {
	v, err := u.Admin.Connections.Get(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	f := connectionForm(v)
	f.Saved = c.Query("saved") != ""
	return u.renderConnectionForm(c, http.StatusOK, &f)
}

// connectionForm fills the form from a stored connection: never a
// secret's value, nor a literal credential header's.
func connectionForm(v *admin.Connection) uiConnectionForm {
	f := uiConnectionForm{ID: v.ID, Name: v.Name, BaseURL: v.BaseURL, Config: prettyJSON(v.Config)}
	_ = json.Unmarshal(v.Auth, &f.Auth)
	f.Scopes = strings.Join(f.Auth.Scopes, " ")
	for _, name := range slices.Sorted(maps.Keys(v.Headers)) {
		row := uiHeaderRow{Name: name, Value: v.Headers[name]}
		if writeOnlyHeader(name, row.Value) {
			row.Value, row.WriteOnly = "", true
		}
		f.Headers = append(f.Headers, row)
	}
	for _, name := range slices.Sorted(maps.Keys(v.Secrets)) {
		f.Secrets = append(f.Secrets, uiSecret{Name: name, Set: v.Secrets[name].Set})
	}
	if v.OAuth != nil {
		f.OAuth = v.OAuth.Status
	}
	return f
}

// writeOnlyHeader reports whether a header's value is a credential written
// literally, which the console treats as a secret.
func writeOnlyHeader(name, value string) bool {
	return tools.IsCredentialName(name) && value != "" && !strings.Contains(value, "{{")
}

func (u *Console) renderConnectionForm(c *gin.Context, status int, f *uiConnectionForm) error {
	f.AuthTypes = uiAuthTypes
	f.HeaderRows, f.SecretRows = nil, nil
	for _, h := range f.Headers {
		h.Index = len(f.HeaderRows)
		f.HeaderRows = append(f.HeaderRows, h)
	}
	for _, sec := range f.Secrets {
		f.SecretRows = append(f.SecretRows, uiSecretRow{Index: len(f.SecretRows), Name: sec.Name, Set: sec.Set})
	}
	for range uiNewRows {
		f.HeaderRows = append(f.HeaderRows, uiHeaderRow{Index: len(f.HeaderRows)})
		f.SecretRows = append(f.SecretRows, uiSecretRow{Index: len(f.SecretRows), New: true})
	}
	title := "New connection"
	if f.ID != "" {
		title = "Connection " + f.Name
	}
	u.uiRender(c, status, "connection", uiPage{Title: title, Nav: "connections", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: f})
	return nil
}

// readConnectionForm reads the submitted form into an admin input. current
// is the stored connection (nil when creating): a blank write-only header
// keeps its stored value, a blank secret keeps the stored secret.
func readConnectionForm(c *gin.Context, current *admin.Connection) (*admin.ConnectionInput, *uiConnectionForm, error) {
	in := &admin.ConnectionInput{Name: uiFormValue(c, "name"), BaseURL: uiFormValue(c, "base_url"), Headers: map[string]string{}}
	f := &uiConnectionForm{Name: in.Name, BaseURL: in.BaseURL, Config: uiFormValue(c, "config")}
	auth := tools.Auth{Type: uiFormValue(c, "auth_type"), In: uiFormValue(c, "auth_in"), Name: uiFormValue(c, "auth_name"),
		Username: uiFormValue(c, "auth_username"), TokenURL: uiFormValue(c, "auth_token_url"), AuthorizeURL: uiFormValue(c, "auth_authorize_url"),
		ClientID: uiFormValue(c, "auth_client_id"), Audience: uiFormValue(c, "auth_audience"), AuthStyle: uiFormValue(c, "auth_style"),
		RedirectURL: uiFormValue(c, "auth_redirect_url"), Scopes: strings.Fields(uiFormValue(c, "auth_scopes"))}
	// Keep what the form does not show, for the settings of its type only.
	if current != nil {
		var stored tools.Auth
		if json.Unmarshal(current.Auth, &stored) == nil && stored.Type == auth.Type {
			auth.ExtraAuthorizeParams = stored.ExtraAuthorizeParams
		}
	}
	clearOtherAuthFields(&auth)
	in.Auth, f.Auth, f.Scopes = &auth, auth, strings.Join(auth.Scopes, " ")
	if f.Config != "" && f.Config != "{}" {
		in.Config = json.RawMessage(f.Config)
	}

	var errs []uiDetail
	for i := 0; i < 200; i++ {
		key := strconv.Itoa(i)
		name, ok := c.GetPostForm("header_name_" + key)
		if !ok {
			break
		}
		name, value := strings.TrimSpace(name), c.PostForm("header_value_"+key)
		if name == "" {
			continue // a cleared name removes the header
		}
		row := uiHeaderRow{Name: name, Value: value}
		if value == "" && current != nil && writeOnlyHeader(name, current.Headers[name]) {
			value, row.WriteOnly = current.Headers[name], true
		} else if writeOnlyHeader(name, value) {
			row.Value, row.WriteOnly = "", true
		}
		if _, dup := in.Headers[name]; dup {
			errs = append(errs, uiDetail{Path: "headers." + name, Message: "is given twice"})
		}
		in.Headers[name] = value
		f.Headers = append(f.Headers, row)
	}

	secrets := map[string]*string{}
	for i := 0; i < 200; i++ {
		key := strconv.Itoa(i)
		name, ok := c.GetPostForm("secret_name_" + key)
		if !ok {
			break
		}
		name = strings.TrimSpace(name)
		value := c.PostForm("secret_value_" + key)
		switch {
		case name == "":
			if value != "" {
				errs = append(errs, uiDetail{Path: "secrets", Message: "a secret value was given without a name"})
			}
		case c.PostForm("secret_clear_"+key) != "":
			secrets[name] = nil
		case value != "":
			secrets[name] = &value
		}
	}
	if len(secrets) > 0 {
		in.Secrets = secrets
	}
	// A form shown again lists the stored state: values typed are not
	// echoed back, so they must be typed again.
	state := map[string]bool{}
	for name := range secrets {
		state[name] = false
	}
	if current != nil {
		for name, st := range current.Secrets {
			state[name] = st.Set
		}
	}
	for name, set := range state {
		f.Secrets = append(f.Secrets, uiSecret{Name: name, Set: set})
	}
	slices.SortFunc(f.Secrets, func(a, b uiSecret) int { return strings.Compare(a.Name, b.Name) })
	if len(in.Config) > 0 && !json.Valid(in.Config) {
		errs = append(errs, uiDetail{Path: "config", Message: "is not valid JSON"})
	}
	if len(errs) > 0 {
		return in, f, &problem.Error{Kind: problem.Invalid, Message: "the connection is invalid", Details: errs}
	}
	return in, f, nil
}

// clearOtherAuthFields drops the settings of other auth types, which the
// form sends as it shows them all.
func clearOtherAuthFields(a *tools.Auth) {
	keep := *a
	*a = tools.Auth{Type: keep.Type}
	switch keep.Type {
	case tools.AuthAPIKey:
		a.In, a.Name = keep.In, keep.Name
	case tools.AuthBasic:
		a.Username = keep.Username
	case tools.AuthOAuth2ClientCredentials, tools.AuthOAuth2AuthorizationCode:
		a.TokenURL, a.ClientID, a.Scopes, a.Audience, a.AuthStyle, a.RedirectURL = keep.TokenURL, keep.ClientID, keep.Scopes, keep.Audience, keep.AuthStyle, keep.RedirectURL
		a.ExtraAuthorizeParams = keep.ExtraAuthorizeParams
		if keep.Type == tools.AuthOAuth2AuthorizationCode {
			a.AuthorizeURL = keep.AuthorizeURL
		}
	}
}

// formInvalid re-renders a form with the problems of an Invalid error;
// other errors are returned.
func formInvalid(err error, errsOut *[]uiDetail) bool {
	var pe *problem.Error
	if !errors.As(err, &pe) || (pe.Kind != problem.Invalid && pe.Kind != problem.Conflict && pe.Kind != problem.BadRequest) {
		return false
	}
	details := errorDetails(pe.Details)
	if len(details) == 0 {
		details = []uiDetail{{Message: pe.Message}}
	}
	*errsOut = details
	return true
}

// uiCreateConnection creates a connection from the form.
func (u *Console) uiCreateConnection(c *gin.Context) error {
	in, f, err := readConnectionForm(c, nil)
	if err == nil {
		var v *admin.Connection
		v, err = u.Admin.Connections.Create(c.Request.Context(), httpapi.Who(c).WorkspaceID, in)
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/ui/connections/"+url.PathEscape(v.ID)+"?saved=1")
			return nil
		}
	}
	if !formInvalid(err, &f.Errors) {
		return err
	}
	return u.renderConnectionForm(c, http.StatusUnprocessableEntity, f)
}

// uiUpdateConnection saves the form over a connection; blank secrets keep
// their stored values.
func (u *Console) uiUpdateConnection(c *gin.Context) error {
	ctx, ws, id := c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id")
	current, err := u.Admin.Connections.Get(ctx, ws, id)
	if err != nil {
		return err
	}
	in, f, err := readConnectionForm(c, current)
	f.ID = id
	if err == nil {
		if _, err = u.Admin.Connections.Update(ctx, ws, id, in); err == nil {
			c.Redirect(http.StatusSeeOther, "/ui/connections/"+url.PathEscape(id)+"?saved=1")
			return nil
		}
	}
	if !formInvalid(err, &f.Errors) {
		return err
	}
	return u.renderConnectionForm(c, http.StatusUnprocessableEntity, f)
}

func (u *Console) uiConfirmDeleteConnection(c *gin.Context) error {
	v, err := u.Admin.Connections.Get(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	path := "/ui/connections/" + url.PathEscape(v.ID)
	u.renderConfirm(c, "connections", uiConfirmData{Title: "Delete connection " + v.Name + "?",
		Message:     "The connection, its secrets and its OAuth tokens are deleted. This cannot be undone.",
		Consequence: "Tools that use " + v.Name + " fail with config_error until they name another connection.",
		Action:      path + "/delete", Cancel: path, Button: "Delete connection"})
	return nil
}

func (u *Console) uiDeleteConnection(c *gin.Context) error {
	if err := u.Admin.Connections.Delete(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id")); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/connections?deleted=1")
	return nil
}
