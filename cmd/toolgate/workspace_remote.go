package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// remoteWorkspace is a gateway's workspace: its objects by kind.
type remoteWorkspace struct {
	objects map[string][]*remoteObject
	// noFlowsAPI says the gateway has no flows admin API (an older
	// version): it has no flows, and takes none.
	noFlowsAPI bool
}

// fetchWorkspace reads a gateway's connections, tools, agents and the
// agents' flows (each flow with its definition, which lists leave out).
func fetchWorkspace(ctx context.Context, client *adminClient) (*remoteWorkspace, error) {
	ws := &remoteWorkspace{objects: map[string][]*remoteObject{}}
	for _, kind := range []string{kindConnection, kindTool, kindAgent} {
		spec := kindSpecs[kind]
		items, err := client.list(ctx, spec.path)
		if err != nil {
			return nil, err
		}
		for _, raw := range items {
			r, err := remoteOf(spec, raw)
			if err != nil {
				return nil, err
			}
			ws.objects[kind] = append(ws.objects[kind], r)
		}
	}
	spec := kindSpecs[kindFlow]
	for _, agent := range ws.objects[kindAgent] {
		items, err := client.list(ctx, flowsPath(agent.id))
		if isRouteMissing(err) {
			ws.noFlowsAPI = true
			return ws, nil
		}
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			var head struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(item, &head); err != nil {
				return nil, fmt.Errorf("a flow of agent %s: %w", agent.name, err)
			}
			url := flowsPath(agent.id) + "/" + head.ID
			var full json.RawMessage
			if err := client.do(ctx, http.MethodGet, url, nil, &full); err != nil {
				return nil, err
			}
			r, err := remoteOf(spec, full)
			if err != nil {
				return nil, err
			}
			r.agent, r.url = agent.name, url
			ws.objects[kindFlow] = append(ws.objects[kindFlow], r)
		}
	}
	return ws, nil
}

// isRouteMissing reports whether err is the gateway's answer to a route
// it does not have (404 "route not found"), as opposed to a missing
// object.
func isRouteMissing(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.status == http.StatusNotFound && ae.Message == "route not found"
}
