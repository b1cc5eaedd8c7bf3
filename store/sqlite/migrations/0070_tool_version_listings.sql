-- Published tool versions rendered in each listing format (package
-- listing), so that listing an agent's tools converts nothing. A rendering
-- is derived from its version's definition: rows of another revision of the
-- rendering code, or missing rows (versions published before this
-- migration), are rendered again when first listed. tool is the JSON of the
-- tool as listed, byte for byte; notes is the rest the listing keeps.
--
-- The rows of one workspace's format are stored together (WITHOUT ROWID,
-- keyed by workspace and format first): a listing reads one format of many
-- versions.
CREATE TABLE tool_version_listings (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    format       TEXT NOT NULL,
    tool_id      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    revision     INTEGER NOT NULL,
    tool         TEXT NOT NULL,
    notes        TEXT,
    PRIMARY KEY (workspace_id, format, tool_id, version),
    FOREIGN KEY (tool_id, version) REFERENCES tool_versions (tool_id, version) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Deleting a tool's versions deletes their renderings.
CREATE INDEX tool_version_listings_version ON tool_version_listings (tool_id, version);
