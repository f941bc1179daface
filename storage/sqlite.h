#pragma once
// Thin RAII layer over the sqlite3 C API. Every handle is owned from the line that creates it, every return
// code is checked, and every failure becomes a StorageError carrying SQLite's own message and result code.
//
// One Database is one connection and belongs to one thread at a time; two threads use two Databases (WAL lets
// readers and the single writer proceed side by side).
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace glasswing::storage {

class StorageError : public std::runtime_error {
 public:
  explicit StorageError(const std::string& message, int sqlite_code = SQLITE_ERROR)
      : std::runtime_error(message), sqlite_code_(sqlite_code) {}
  // The extended SQLite result code (SQLITE_ERROR when the error is ours, not SQLite's).
  int sqlite_code() const { return sqlite_code_; }
  // SQLITE_CORRUPT or SQLITE_NOTADB: the file's bytes are bad, not the situation around it.
  bool is_corruption() const;

 private:
  int sqlite_code_;
};

// A prepared statement. bind() takes 1-based indexes; step() returns true while rows come.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, std::nullptr_t);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
  }
  // Binds every argument in order, starting at index 1.
  template <class... A>
  Statement& bind_all(const A&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  bool step();  // true: a row is ready; false: done. Throws StorageError on failure.
  void run() {
    while (step()) {
    }
  }
  void reset();  // ready to bind and step again; bindings cleared

  bool is_null(int column) const;
  int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::optional<int64_t> optional_int64(int column) const;
  std::optional<double> optional_real(int column) const;

  sqlite3_stmt* handle() const { return stmt_.get(); }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  void check_bind(int rc, int index);
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  sqlite3* db_ = nullptr;
};

// Borrowed use of a cached statement: reset (and bindings cleared) when it goes out of scope.
class CachedStatement {
 public:
  explicit CachedStatement(Statement& stmt) : stmt_(&stmt) {}
  ~CachedStatement() { stmt_->reset(); }
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  Statement* operator->() const { return stmt_; }
  Statement& operator*() const { return *stmt_; }

 private:
  Statement* stmt_;
};

class Database {
 public:
  // flags: SQLITE_OPEN_* (READWRITE, CREATE, ...). Extended result codes are always on.
  Database(const std::string& path, int flags);
  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;
  ~Database();

  void exec(std::string_view sql);  // one or more statements without parameters or results
  Statement prepare(std::string_view sql) const { return Statement(db_.get(), sql); }
  // Prepared once per connection and reused ("prepare once", as Bitcoin Core's wallet does).
  CachedStatement cached(const std::string& sql);

  // Single-value helpers for PRAGMAs and counts.
  int64_t query_int64(std::string_view sql);
  std::string query_text(std::string_view sql);

  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
  int changes() const { return sqlite3_changes(db_.get()); }
  sqlite3* handle() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::string path_;
  std::unique_ptr<sqlite3, Close> db_;
  // Declared after db_, so destroyed first: the statements are finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// BEGIN IMMEDIATE ... COMMIT: the write lock is taken (waiting up to the busy timeout) at BEGIN, never in the
// middle. Destroyed without commit() it rolls back.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database* db_;
  bool open_ = true;
};

// "message (SQLITE_CODE_NAME)" for a result code and the connection's last error.
std::string describe_error(sqlite3* db, int rc);

}  // namespace glasswing::storage
