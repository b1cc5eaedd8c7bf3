package openapi

// ConnectionName returns the name Convert gives the connection when
// Options.ConnectionName is empty: the document's title made a name
// ("GitHub v3 REST API" → "github-v3-rest-api"). The import looks the
// connection and its earlier tools up by it before converting.
func (d *Document) ConnectionName() string { return defaultConnectionName(d.Title()) }
