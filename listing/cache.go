package listing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Store keeps the renderings of published tool versions
// (store.ToolVersionListingStore).
type Store interface {
	ToolVersionListingGet(ctx context.Context, workspaceID, format string, refs []store.ToolVersionRef) ([]*store.ToolVersionListing, error)
	ToolVersionListingPut(ctx context.Context, workspaceID string, list []*store.ToolVersionListing) error
}

// Versions prepares published tool versions (tools.Catalog): a version
// without a stored rendering of this Revision is rendered from it.
type Versions interface {
	// Version returns a published version, or tools.ErrToolNotFound when
	// it does not exist.
	Version(ctx context.Context, workspaceID, toolID string, version int) (*tools.Prepared, error)
}

// Config configures a Cache.
type Config struct {
	// Store keeps the renderings of published versions. Required.
	Store Store
	// Versions renders the versions without one. Required.
	Versions Versions
	// Logger reports renderings that could not be stored. Defaults to
	// slog.Default().
	Logger *slog.Logger
}

// listingCacheMaxBytes bounds the memory the listing cache holds, and
// piecesMaxBytes that of the rendered tools; each is emptied when full.
const (
	listingCacheMaxBytes = 256 << 20
	piecesMaxBytes       = 256 << 20
)

// Cache serves marshalled listings. A listing is keyed by workspace, agent
// and format, and is good only for the very slice of versions it was built
// from: the catalog hands out a new slice whenever it reloads an agent's
// tools (after a change through this replica, or its TTL), so a publish
// shows at once without any extra bookkeeping. Invalidate (on every change,
// see Observe) drops a workspace's entries so they do not wait to be
// overwritten.
//
// Building a listing joins the tools' pieces: kept in memory once read
// from the store (versions are immutable, so a piece never goes stale),
// and rendered and stored when a version has none.
type Cache struct {
	store    Store
	versions Versions
	log      *slog.Logger

	mu         sync.Mutex
	workspaces map[string]map[string]listingEntry
	bytes      int

	pieces pieceCache
	chat   chatTools
}

// NewCache returns an empty listing cache.
func NewCache(cfg Config) (*Cache, error) {
	if cfg.Store == nil || cfg.Versions == nil {
		return nil, errors.New("listing: Config.Store and Config.Versions are required")
	}
	lc := &Cache{store: cfg.Store, versions: cfg.Versions, log: cfg.Logger,
		workspaces: map[string]map[string]listingEntry{},
		pieces:     pieceCache{entries: map[pieceKey]*piece{}},
		chat:       chatTools{entries: map[*tools.Prepared]openai.Tool{}}}
	if lc.log == nil {
		lc.log = slog.Default()
	}
	return lc, nil
}

type listingEntry struct {
	refs []store.ToolVersionRef // the catalog's slice the body was built from
	body []byte
}

// Get returns the marshalled listing in format of the versions refs of an
// agent's tools, building it on a miss. A version that does not exist is
// left out.
func (lc *Cache) Get(ctx context.Context, workspaceID, agentID, format string, refs []store.ToolVersionRef) ([]byte, error) {
	if !IsFormat(format) {
		return nil, fmt.Errorf("listing: unknown format %q", format)
	}
	key := agentID + "\x00" + format
	lc.mu.Lock()
	e, ok := lc.workspaces[workspaceID][key]
	lc.mu.Unlock()
	if ok && sameSlice(e.refs, refs) {
		return e.body, nil
	}
	pieces, err := lc.piecesOf(ctx, workspaceID, format, refs)
	if err != nil {
		return nil, err
	}
	body, err := assemble(pieces)
	if err != nil {
		return nil, err
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.bytes+len(body) > listingCacheMaxBytes {
		clear(lc.workspaces)
		lc.bytes = 0
	}
	ws := lc.workspaces[workspaceID]
	if ws == nil {
		ws = map[string]listingEntry{}
		lc.workspaces[workspaceID] = ws
	}
	lc.bytes += len(body) - len(ws[key].body)
	ws[key] = listingEntry{refs: refs, body: body}
	return body, nil
}

// piecesOf returns the pieces of refs in format, in order, nil for a
// version that does not exist: from memory, else from the store (one query
// for all that memory lacks), else rendered from the version (and stored,
// all formats at once).
func (lc *Cache) piecesOf(ctx context.Context, workspaceID, format string, refs []store.ToolVersionRef) ([]*piece, error) {
	pieces := make([]*piece, len(refs))
	var missing []int
	for i, r := range refs {
		if pieces[i] = lc.pieces.get(pieceKey{workspaceID, r, format}); pieces[i] == nil {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return pieces, nil
	}
	want := make([]store.ToolVersionRef, len(missing))
	for i, m := range missing {
		want[i] = refs[m]
	}
	rows, err := lc.store.ToolVersionListingGet(ctx, workspaceID, format, want)
	if err != nil {
		return nil, err
	}
	stored := make(map[store.ToolVersionRef]*piece, len(rows))
	for _, row := range rows {
		if row.Revision != Revision {
			continue
		}
		p, err := pieceOf(row)
		if err != nil {
			return nil, err
		}
		ref := store.ToolVersionRef{ToolID: row.ToolID, Version: row.Version}
		stored[ref] = p
		lc.pieces.put(pieceKey{workspaceID, ref, format}, p)
	}
	var rendered []*store.ToolVersionListing
	for _, i := range missing {
		r := refs[i]
		if pieces[i] = stored[r]; pieces[i] != nil {
			continue
		}
		if pieces[i] = lc.pieces.get(pieceKey{workspaceID, r, format}); pieces[i] != nil {
			continue // rendered above: the agent lists the version twice
		}
		t, err := lc.versions.Version(ctx, workspaceID, r.ToolID, r.Version)
		if errors.Is(err, tools.ErrToolNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		all, err := renderPieces(t)
		if err != nil {
			return nil, err
		}
		for k, p := range all {
			row, err := p.row(r.ToolID, r.Version, Formats[k])
			if err != nil {
				return nil, err
			}
			rendered = append(rendered, row)
			lc.pieces.put(pieceKey{workspaceID, r, Formats[k]}, p)
			if Formats[k] == format {
				pieces[i] = p
			}
		}
	}
	if len(rendered) > 0 {
		// Versions published before renderings were stored, or rendered by
		// another Revision: store them for the next replica or restart. The
		// listing does not depend on it.
		if err := lc.store.ToolVersionListingPut(context.WithoutCancel(ctx), workspaceID, rendered); err != nil {
			lc.log.Warn("storing tool renderings", "workspace_id", workspaceID, "renderings", len(rendered), "err", err)
		}
	}
	return pieces, nil
}

// Invalidate drops a workspace's listings.
func (lc *Cache) Invalidate(workspaceID string) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	for _, e := range lc.workspaces[workspaceID] {
		lc.bytes -= len(e.body)
	}
	delete(lc.workspaces, workspaceID)
}

// sameSlice reports whether a and b are the same slice of the catalog (not
// merely equal): the cache entry holds a, so its array cannot be reused.
func sameSlice[T any](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || &a[0] == &b[0]
}

// Observe drops the listings of a workspace whose tools or agents changed.
// Subscribe it to the change bus.
func (lc *Cache) Observe(c changes.Change) {
	switch {
	case c.Everything():
		lc.mu.Lock()
		clear(lc.workspaces)
		lc.bytes = 0
		lc.mu.Unlock()
	case c.Affects(changes.Tools, changes.Agents, changes.Connections):
		lc.Invalidate(c.WorkspaceID)
	}
}

// pieceKey names one version's rendering in one format.
type pieceKey struct {
	workspaceID string
	ref         store.ToolVersionRef
	format      string
}

// pieceCache keeps the pieces listings are joined from, bounded by
// piecesMaxBytes.
type pieceCache struct {
	mu      sync.RWMutex
	entries map[pieceKey]*piece
	bytes   int
}

func (pc *pieceCache) get(k pieceKey) *piece {
	pc.mu.RLock()
	defer pc.mu.RUnlock()
	return pc.entries[k]
}

func (pc *pieceCache) put(k pieceKey, p *piece) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if old := pc.entries[k]; old != nil {
		pc.bytes -= old.size()
	}
	if pc.bytes+p.size() > piecesMaxBytes {
		clear(pc.entries)
		pc.bytes = 0
	}
	pc.entries[k] = p
	pc.bytes += p.size()
}
