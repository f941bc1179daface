-- Version 1: models, conversations and the message tree.
-- Times are Unix milliseconds (UTC). Tables are STRICT, so a wrong type is an error, not a silent conversion.

-- Every model file a conversation used. The same path can hold different files over time, so the header hash
-- is part of the identity.
CREATE TABLE models (
  id            INTEGER PRIMARY KEY,
  path          TEXT    NOT NULL,
  file_size     INTEGER NOT NULL,                -- bytes
  header_sha256 TEXT    NOT NULL,                -- hex, of the GGUF header (metadata + tensor table)
  architecture  TEXT    NOT NULL DEFAULT '',
  quant         TEXT    NOT NULL DEFAULT '',     -- e.g. "Q4_K_M"
  n_params      INTEGER NOT NULL DEFAULT 0,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms  INTEGER NOT NULL,
  UNIQUE (path, header_sha256)
) STRICT;

CREATE TABLE conversations (
  id             INTEGER PRIMARY KEY,
  title          TEXT    NOT NULL DEFAULT '',
  created_ms     INTEGER NOT NULL,
  updated_ms     INTEGER NOT NULL,
  pinned         INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
  model_id       INTEGER REFERENCES models (id) ON DELETE SET NULL,
  system_prompt  TEXT    NOT NULL DEFAULT '',
  sampler_json   TEXT    NOT NULL DEFAULT '{}',  -- sampler settings; parsed by the app, a bad value is reported
  seed           INTEGER,
  active_root_id INTEGER,                        -- the root message of the active branch (no FK: may dangle)
  active_leaf_id INTEGER                         -- the last message of the active branch, kept so that
                                                 -- appending to a long conversation is O(1) (no FK)
) STRICT;

-- A tree: an edit or a regenerate adds a sibling (same parent). Each message remembers which of its children
-- is on the active branch, so switching a sibling keeps the choices made further down.
-- parent_id has no ON DELETE CASCADE on purpose: FK actions recurse like triggers and a deep chain would hit
-- SQLite's recursion limit. Subtrees are deleted with a recursive query; whole conversations cascade by
-- conversation_id, which is one level.
CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  parent_id       INTEGER REFERENCES messages (id),
  active_child_id INTEGER,                       -- no FK: may dangle after a delete; readers fall back
  role            TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content         TEXT    NOT NULL DEFAULT '',
  token_count     INTEGER NOT NULL DEFAULT 0,
  status          TEXT    NOT NULL DEFAULT 'complete'
                          CHECK (status IN ('complete', 'streaming', 'interrupted', 'error')),
  status_reason   TEXT    NOT NULL DEFAULT '',   -- why it is 'error' or 'interrupted'
  created_ms      INTEGER NOT NULL,
  ttft_ms         REAL,                          -- time to first token
  prompt_tps      REAL,                          -- prompt tokens per second
  generation_tps  REAL,                          -- generated tokens per second
  device          TEXT    NOT NULL DEFAULT '',
  backend         TEXT    NOT NULL DEFAULT '',
  stream_pid      INTEGER                        -- the process writing it while 'streaming'
) STRICT;

CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
CREATE INDEX messages_by_parent ON messages (parent_id, conversation_id);  -- also finds a conversation's roots
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';
CREATE INDEX conversations_by_order ON conversations (pinned DESC, updated_ms DESC);
