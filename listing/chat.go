package listing

import (
	"sync"

	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/tools"
)

// chatToolsMax bounds the cache of tools converted for the chat runner; it
// is emptied when full.
const chatToolsMax = 100000

// chatTools caches each prepared tool version as the chat runner offers
// it. Prepared versions are immutable, so an entry never goes stale.
type chatTools struct {
	mu      sync.RWMutex
	entries map[*tools.Prepared]openai.Tool
}

// ChatTools are the tools as the chat runner offers them to a model: in
// strict form where the schema converts (OpenAIStrictTool), plain
// otherwise. Each tool version is converted once and cached.
func (lc *Cache) ChatTools(list []*tools.Prepared) ([]openai.Tool, error) {
	ct := &lc.chat
	out := make([]openai.Tool, len(list))
	for i, t := range list {
		ct.mu.RLock()
		tool, ok := ct.entries[t]
		ct.mu.RUnlock()
		if !ok {
			tool, _ = OpenAIStrictTool(t)
			ct.mu.Lock()
			if len(ct.entries) >= chatToolsMax {
				clear(ct.entries)
			}
			ct.entries[t] = tool
			ct.mu.Unlock()
		}
		out[i] = tool
	}
	return out, nil
}
