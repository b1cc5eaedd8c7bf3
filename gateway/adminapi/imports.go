package adminapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/problem"
)

// ImportRequestBytesMax bounds the body of POST /v1/admin/imports/openapi
// (40 MiB), which carries a whole document: GitHub's REST description is
// about 13 MB, and a YAML document sent as a JSON string grows by its
// escapes. The document itself is bounded by openapi.MaxDocumentBytes
// (32 MiB). Every other route keeps httpapi.MaxRequestBytes.
const ImportRequestBytesMax = openapi.MaxDocumentBytes + openapi.MaxDocumentBytes/4

// importRoutes registers the import routes.
func (a *API) importRoutes(g *gin.RouterGroup) {
	g.POST("/imports/openapi", a.Errors.Handle(a.importOpenAPI))
}

// importOpenAPI imports an OpenAPI document's operations as draft tools:
// POST /v1/admin/imports/openapi → 200 with the import's report (also for a
// dry run), 422 for a document that cannot be read (naming the line or the
// JSON pointer) or an unusable option.
func (a *API) importOpenAPI(c *gin.Context) error {
	body, err := httpapi.ReadBodyUpTo(c, ImportRequestBytesMax)
	if err != nil {
		return err
	}
	var req admin.ImportOpenAPIRequest
	if err := problem.DecodeJSON(body, &req); err != nil {
		return err
	}
	report, err := a.Admin.Imports.OpenAPI(c.Request.Context(), ws(c), &req)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, report)
	return nil
}
