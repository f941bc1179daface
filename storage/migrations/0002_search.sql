-- Version 2: full-text search over message content (FTS5, external content: the text is stored once, in
-- messages). Triggers keep the index in step with every insert, edit, streamed append and delete.
CREATE VIRTUAL TABLE message_search USING fts5 (
  content,
  content = 'messages',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
  INSERT INTO message_search (rowid, content) VALUES (new.id, new.content);
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
  INSERT INTO message_search (message_search, rowid, content) VALUES ('delete', old.id, old.content);
END;

CREATE TRIGGER message_search_update AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO message_search (message_search, rowid, content) VALUES ('delete', old.id, old.content);
  INSERT INTO message_search (rowid, content) VALUES (new.id, new.content);
END;

-- Messages written by version 1 become searchable.
INSERT INTO message_search (message_search) VALUES ('rebuild');
