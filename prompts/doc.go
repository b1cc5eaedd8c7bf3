// Package prompts holds the text toolgate shows to models: what was wrong with
// a tool call's arguments (or its call context) and what to do about it, what
// went wrong upstream, and that a background call was accepted.
//
// The wording lives in embedded text/template files under templates/, parsed
// once when the program starts, so it can be read and reviewed as prose. Every
// text tells the model what to do next and never invites it to invent data.
// The outputs are pinned by golden files in testdata/; after an intended
// change of wording, refresh them with
//
//	go test ./prompts -update
//
// and read the diff.
package prompts
