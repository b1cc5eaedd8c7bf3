package tenant

// Roles of a principal (the roles of its API key).
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// Principal is who is calling: the workspace, key and role of the bearer
// key (or console session) a request presented, and for an agent key its
// agent. Every use case scopes what it does by WorkspaceID.
type Principal struct {
	WorkspaceID string
	KeyID       string
	Role        string
	// AgentID is set for agent keys and for voice-platform requests.
	AgentID string
}
