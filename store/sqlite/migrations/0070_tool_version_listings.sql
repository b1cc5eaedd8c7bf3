-- Published tool versions rendered in each listing format (package
-- listing), so that listing an agent's tools converts nothing. A rendering
-- is derived from its version's definition: rows of another revision of the
-- rendering code, or missing rows (versions published before this
-- migration), are rendered again when first listed. tool is the JSON of the
-- tool as listed, byte for byte; notes is the rest the listing keeps.
--
-- A rowid table, so a publish appends its version's rows together. (Keyed
-- by workspace and format first, WITHOUT ROWID, a first listing of 10,000
-- tools read about a third faster, but every publish wrote into seven
-- places of the tree and took twice as long.) The primary key serves the
-- listing's lookups and the cascade from tool_versions.
CREATE TABLE tool_version_listings (
    tool_id      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    format       TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    revision     INTEGER NOT NULL,
    tool         TEXT NOT NULL,
    notes        TEXT,
    PRIMARY KEY (tool_id, version, format),
    FOREIGN KEY (tool_id, version) REFERENCES tool_versions (tool_id, version) ON DELETE CASCADE
) STRICT;
