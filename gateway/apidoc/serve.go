package apidoc

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// OpenAPIPath is where the OpenAPI document is served.
const OpenAPIPath = "/v1/openapi.json"

// cacheControl lets clients and proxies keep the descriptions for an hour;
// the ETag revalidates them after.
const cacheControl = "public, max-age=3600"

// Routes serves the descriptions, without a key: GET /v1/schemas/{name}.json
// for each of Objects, and GET /v1/openapi.json.
func Routes(r gin.IRoutes) {
	for _, name := range Objects {
		data, _ := Schema(name)
		r.GET(SchemaPath(name), serve("application/schema+json", data))
	}
	r.GET(OpenAPIPath, serve("application/json", OpenAPI()))
}

// serve answers a fixed document, cacheable, with an ETag.
func serve(contentType string, data []byte) gin.HandlerFunc {
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return func(c *gin.Context) {
		c.Header("Cache-Control", cacheControl)
		c.Header("ETag", etag)
		for _, m := range strings.Split(c.GetHeader("If-None-Match"), ",") {
			if m = strings.TrimSpace(m); m == etag || m == "*" {
				c.Status(http.StatusNotModified)
				return
			}
		}
		c.Data(http.StatusOK, contentType, data)
	}
}
