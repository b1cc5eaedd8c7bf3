package tools

// RedactJSONForTest exposes redactJSON to the external tests.
var RedactJSONForTest = redactJSON
