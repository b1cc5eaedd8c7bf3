package openapi

// namedMaps are the fields whose values map names (of properties,
// components, media types, paths...) to objects: a key "examples" inside
// one is a name, not the examples field.
var namedMaps = map[string]bool{
	"properties": true, "patternProperties": true, "dependentSchemas": true, "$defs": true,
	"definitions": true, "schemas": true, "parameters": true, "headers": true,
	"requestBodies": true, "responses": true, "securitySchemes": true,
	"securityDefinitions": true, "callbacks": true, "links": true, "pathItems": true,
	"variables": true, "encoding": true, "content": true, "paths": true, "webhooks": true,
	"scopes": true, "mapping": true, "examples": true,
}

// dropExamples removes what Convert never reads and what makes up a large
// part of big documents (a tenth of GitHub's): components.examples and the
// maps of Example Objects of media types, parameters and headers (an
// object-valued "examples"; a schema's examples are an array and stay).
func dropExamples(root map[string]any) {
	if comps, ok := root["components"].(map[string]any); ok {
		delete(comps, "examples")
	}
	var walk func(v any, named bool)
	walk = func(v any, named bool) {
		switch v := v.(type) {
		case map[string]any:
			if !named {
				if _, isMap := v["examples"].(map[string]any); isMap {
					delete(v, "examples")
				}
			}
			for k, child := range v {
				walk(child, !named && namedMaps[k])
			}
		case []any:
			for _, child := range v {
				walk(child, false)
			}
		}
	}
	walk(root, false)
}
