package listing

import (
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Revision is the revision of the renderings Render makes. Bump it with
// any change to what a tool looks like in a format (here or in package
// schema's conversions): stored renderings of another revision are rendered
// again when first listed. TestRevision fails when the renderings of its
// tools change and Revision does not.
const Revision = 1

// piece is one tool version rendered in one format, ready to be joined into
// a listing.
type piece struct {
	// json is the tool as listed.
	json []byte
	// unconverted is the marshalled unconvertedTool saying why the format
	// cannot express the tool's schema; nil when it can.
	unconverted []byte
	// fallback, for a tool rendered strict in FormatAnthropicStrict, is the
	// tool in FormatAnthropic, listed when the request's budget of strict
	// tools is spent; usage is what it takes of that budget, and name the
	// tool's name to say so.
	fallback []byte
	usage    schema.AnthropicStrictUsage
	name     string
}

// notes is the JSON of what a stored rendering keeps besides the tool
// (store.ToolVersionListing's Notes): a piece's unconverted entry, and its
// fallback, usage and name when it is strict.
type notes struct {
	Unconverted json.RawMessage `json:"unconverted,omitempty"`
	Fallback    json.RawMessage `json:"fallback,omitempty"`
	Name        string          `json:"name,omitempty"`
	Optional    int             `json:"optional,omitempty"`
	Unions      int             `json:"unions,omitempty"`
}

// renderPieces renders a tool version in every format, in the order of
// Formats. A strict Anthropic tool's fallback is its FormatAnthropic
// rendering.
func renderPieces(t *tools.Prepared) ([]*piece, error) {
	out := make([]*piece, len(Formats))
	var plainAnthropic []byte
	for i, format := range Formats {
		v, u := renderTool(t, format)
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("rendering tool %s version %d as %s: %w", t.ToolID, t.Version, format, err)
		}
		p := &piece{json: data}
		if u != nil {
			if p.unconverted, err = json.Marshal(u); err != nil {
				return nil, err
			}
		}
		switch def, ok := v.(schema.AnthropicToolDef); {
		case format == FormatAnthropic:
			plainAnthropic = data
		case ok && def.Strict:
			if plainAnthropic == nil { // Formats lists FormatAnthropic first; should it not
				plain, _ := renderTool(t, FormatAnthropic)
				if plainAnthropic, err = json.Marshal(plain); err != nil {
					return nil, err
				}
			}
			p.fallback, p.usage, p.name = plainAnthropic, schema.MeasureAnthropicStrict(def.InputSchema), t.Name
		}
		out[i] = p
	}
	return out, nil
}

// Render renders a published tool version in every format, as it is
// stored with the version (store.ToolVersionListingStore).
func Render(t *tools.Prepared) ([]*store.ToolVersionListing, error) {
	pieces, err := renderPieces(t)
	if err != nil {
		return nil, err
	}
	out := make([]*store.ToolVersionListing, len(pieces))
	for i, p := range pieces {
		if out[i], err = p.row(t.ToolID, t.Version, Formats[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// row is the piece as stored.
func (p *piece) row(toolID string, version int, format string) (*store.ToolVersionListing, error) {
	row := &store.ToolVersionListing{ToolID: toolID, Version: version, Format: format, Revision: Revision, Tool: p.json}
	if p.unconverted != nil || p.fallback != nil {
		n := notes{Unconverted: p.unconverted, Fallback: p.fallback, Name: p.name, Optional: p.usage.Optional, Unions: p.usage.Unions}
		var err error
		if row.Notes, err = json.Marshal(n); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// pieceOf is a stored rendering as a piece.
func pieceOf(row *store.ToolVersionListing) (*piece, error) {
	p := &piece{json: row.Tool}
	if row.Notes == nil {
		return p, nil
	}
	var n notes
	if err := json.Unmarshal(row.Notes, &n); err != nil {
		return nil, fmt.Errorf("decoding the %s rendering of tool %s version %d: %w", row.Format, row.ToolID, row.Version, err)
	}
	p.unconverted, p.fallback, p.name = n.Unconverted, n.Fallback, n.Name
	p.usage = schema.AnthropicStrictUsage{Optional: n.Optional, Unions: n.Unions}
	return p, nil
}

// size is about the memory the piece holds.
func (p *piece) size() int {
	return len(p.json) + len(p.unconverted) + len(p.fallback) + len(p.name) + 64
}
