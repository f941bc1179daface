-- Version 3: comparisons. Two prompts, or one prompt under two settings, run side by side; each side is a
-- branch of the conversation's tree, named by its root message.
CREATE TABLE comparisons (
  id                  INTEGER PRIMARY KEY,
  conversation_id     INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  kind                TEXT    NOT NULL CHECK (kind IN ('prompts', 'settings')),
  title               TEXT    NOT NULL DEFAULT '',
  created_ms          INTEGER NOT NULL,
  left_root_id        INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  right_root_id       INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  left_settings_json  TEXT    NOT NULL DEFAULT '{}',
  right_settings_json TEXT    NOT NULL DEFAULT '{}'
) STRICT;

CREATE INDEX comparisons_by_conversation ON comparisons (conversation_id);
CREATE INDEX comparisons_by_left ON comparisons (left_root_id);
CREATE INDEX comparisons_by_right ON comparisons (right_root_id);
