-- Published tool versions rendered in each listing format (package
-- listing), so that listing an agent's tools converts nothing. A rendering
-- is derived from its version's definition: rows of another revision of the
-- rendering code, or missing rows (versions published before this
-- migration), are rendered again when first listed. tool is the JSON of the
-- tool as listed, byte for byte (TEXT, not jsonb, which would reorder its
-- keys); notes is the rest the listing keeps.
CREATE TABLE tool_version_listings (
    tool_id      TEXT COLLATE "C" NOT NULL,
    version      INTEGER NOT NULL,
    format       TEXT COLLATE "C" NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    revision     INTEGER NOT NULL,
    tool         TEXT NOT NULL,
    notes        TEXT,
    PRIMARY KEY (tool_id, version, format),
    FOREIGN KEY (tool_id, version) REFERENCES tool_versions (tool_id, version) ON DELETE CASCADE
);
