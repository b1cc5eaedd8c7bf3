package flows

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/toolgate/toolgate/tools"
)

// NoFallbackWarning is the warning on a state that may leave a user with
// nowhere to go.
const NoFallbackWarning = "No fallback transition defined - users may get stuck."

// Lookup answers what validation asks of the flow's workspace and agent.
type Lookup interface {
	// ConnectionExists reports whether the workspace has a connection (a
	// saved integration) with the given name.
	ConnectionExists(ctx context.Context, name string) (bool, error)
	// ToolPublished reports whether the flow's agent may call a published
	// tool with the given name.
	ToolPublished(ctx context.Context, name string) (bool, error)
}

// Report is the result of validating a definition. A flow with errors
// cannot be published; warnings point at likely mistakes.
type Report struct {
	Valid    bool               `json:"valid"`
	Errors   []tools.FieldError `json:"errors"`
	Warnings []tools.FieldError `json:"warnings"`
}

// Validate checks a definition: everything Compile checks, the
// integrations and tools it names (through lookup), and the warnings. The
// error is lookup's.
func Validate(ctx context.Context, def *Definition, lookup Lookup) (*Report, error) {
	c := newCompiler(VersionInfo{FlowName: "draft"}, def)
	p := c.compile()
	if err := c.lookups(ctx, lookup); err != nil {
		return nil, err
	}
	c.reachability(p)
	c.fallbacks()
	c.unsetVariables()
	return &Report{Valid: len(c.errs) == 0, Errors: orEmpty(c.errs), Warnings: orEmpty(c.warns)}, nil
}

// ValidateJSON decodes a definition and validates it. A definition that
// does not decode is a report whose errors are the decoding problems.
func ValidateJSON(ctx context.Context, raw []byte, lookup Lookup) (*Report, error) {
	def, err := Decode(raw)
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			return &Report{Valid: false, Errors: de.Issues, Warnings: []tools.FieldError{}}, nil
		}
		return nil, err
	}
	return Validate(ctx, def, lookup)
}

func orEmpty(s []tools.FieldError) []tools.FieldError {
	if s == nil {
		return []tools.FieldError{}
	}
	return s
}

// lookups checks the integrations and tools the actions name, asking once
// per name.
func (c *compiler) lookups(ctx context.Context, lookup Lookup) error {
	connections := map[string]bool{}
	toolsSeen := map[string]bool{}
	for _, name := range c.stateNames() {
		st := c.def.States[name]
		if st == nil {
			continue
		}
		for i, a := range st.Actions {
			if a == nil || a.Type != ActionAPICall {
				continue
			}
			path := "states." + name + ".actions[" + strconv.Itoa(i) + "]"
			if a.Tool != "" {
				ok, seen := toolsSeen[a.Tool]
				if !seen {
					var err error
					if ok, err = lookup.ToolPublished(ctx, a.Tool); err != nil {
						return fmt.Errorf("looking up tool %q: %w", a.Tool, err)
					}
					toolsSeen[a.Tool] = ok
				}
				if !ok {
					c.err(path+".tool", "no published tool named %q that this agent may call", a.Tool)
				}
				continue
			}
			conn := a.ConnectionName()
			if conn == "" {
				continue
			}
			ok, seen := connections[conn]
			if !seen {
				var err error
				if ok, err = lookup.ConnectionExists(ctx, conn); err != nil {
					return fmt.Errorf("looking up connection %q: %w", conn, err)
				}
				connections[conn] = ok
			}
			if !ok {
				field := ".integration"
				if a.Integration == "" {
					field = ".connection"
				}
				c.err(path+field, "no integration (connection) named %q in this workspace", conn)
			}
		}
	}
	return nil
}

// reachability warns about states no path from the start leads to.
func (c *compiler) reachability(p *Program) {
	if p.states[p.start] == nil {
		return // the start error says it all
	}
	reached := map[string]bool{p.start: true}
	queue := []string{p.start}
	for len(queue) > 0 {
		st := c.def.States[queue[0]]
		queue = queue[1:]
		for _, next := range successors(st) {
			if c.def.States[next] != nil && !reached[next] {
				reached[next] = true
				queue = append(queue, next)
			}
		}
	}
	for _, name := range c.stateNames() {
		if !reached[name] && c.def.States[name] != nil {
			c.warn("states."+name, "cannot be reached from the start state %q", p.start)
		}
	}
}

// successors lists every state a state can lead to.
func successors(st *State) []string {
	var out []string
	for _, t := range st.Transitions {
		if t != nil {
			out = append(out, t.To)
		}
	}
	for _, a := range st.Actions {
		if a == nil {
			continue
		}
		out = append(out, a.SuccessTransition, a.FailureTransition)
		for _, key := range slices.Sorted(maps.Keys(a.On)) {
			out = append(out, a.On[key])
		}
	}
	return out
}

// fallbacks warns about states that are not end states and may have
// nowhere to go: no transition without a condition, and no action that
// routes every outcome (success_transition and failure_transition both).
func (c *compiler) fallbacks() {
	for _, name := range c.stateNames() {
		st := c.def.States[name]
		if st == nil || st.End || hasFallback(st) {
			continue
		}
		c.warn("states."+name+".transitions", NoFallbackWarning)
	}
}

func hasFallback(st *State) bool {
	for _, t := range st.Transitions {
		if t != nil && t.If == "" {
			return true
		}
	}
	for _, a := range st.Actions {
		if a != nil && !a.FireAndForget && a.SuccessTransition != "" && a.FailureTransition != "" {
			return true
		}
	}
	return false
}

// unsetVariables warns about {{variables.x}} that no input or action sets:
// they must come with the session's start, or the template fails.
func (c *compiler) unsetVariables() {
	warned := map[string]bool{}
	for _, use := range c.uses {
		name := use.ph.Path[0].Key
		key := use.path + "\x00" + name
		if c.sets[name] || warned[key] {
			continue
		}
		warned[key] = true
		c.warn(use.path, "{{variables.%s}} is set by no input or action; it has a value only if the session starts with it", name)
	}
}
