#include "storage/sqlite.h"

namespace glasswing::storage {

bool StorageError::is_corruption() const {
  const int primary = sqlite_code_ & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

std::string describe_error(sqlite3* db, int rc) {
  std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  // sqlite3_errmsg describes the most recent failure on the connection; if it is generic, the code's own text
  // says more.
  if (message.empty() || message == "not an error") message = sqlite3_errstr(rc);
  return message + " (SQLite code " + std::to_string(rc) + ")";
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK)
    throw StorageError("cannot prepare \"" + std::string(sql.substr(0, 80)) + "\": " + describe_error(db, rc),
                       rc);
  if (!raw) throw StorageError("empty SQL statement");
}

void Statement::check_bind(int rc, int index) {
  if (rc != SQLITE_OK)
    throw StorageError("cannot bind parameter " + std::to_string(index) + " of \"" +
                           sqlite3_sql(stmt_.get()) + "\": " + describe_error(db_, rc),
                       rc);
}

Statement& Statement::bind(int index, int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_.get(), index, value), index);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_.get(), index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // An empty string_view may have a null data(); SQLite would then bind NULL rather than ''.
  static const char kEmpty[] = "";
  check_bind(sqlite3_bind_text64(stmt_.get(), index, text.empty() ? kEmpty : text.data(), text.size(),
                                 SQLITE_TRANSIENT, SQLITE_UTF8),
             index);
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  check_bind(sqlite3_bind_null(stmt_.get(), index), index);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string message = describe_error(db_, rc);
  // Leave the statement reusable; sqlite3_reset repeats the error code, which we have already taken.
  sqlite3_reset(stmt_.get());
  throw StorageError("\"" + std::string(sqlite3_sql(stmt_.get())).substr(0, 80) + "\" failed: " + message,
                     rc);
}

void Statement::reset() {
  // sqlite3_reset returns the code of the last step, which was already reported by step().
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}
int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}
double Statement::real(int column) const {
  return sqlite3_column_double(stmt_.get(), column);
}

std::string Statement::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), column));
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

std::optional<int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<double> Statement::optional_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}

Database::Database(const std::string& path, int flags) : path_(path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);  // owned even when opening failed: sqlite3_open_v2 may still allocate a handle
  if (rc != SQLITE_OK)
    throw StorageError("cannot open database " + path + ": " + describe_error(raw, rc), rc);
  sqlite3_extended_result_codes(raw, 1);
}

Database::~Database() = default;

void Database::exec(std::string_view sql) {
  const std::string copy(sql);  // sqlite3_exec needs a terminated string
  char* err = nullptr;
  const int rc = sqlite3_exec(db_.get(), copy.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw StorageError(
        "\"" + copy.substr(0, 80) + "\" failed: " + message + " (SQLite code " + std::to_string(rc) + ")",
        rc);
  }
}

CachedStatement Database::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) it = cache_.emplace(sql, std::make_unique<Statement>(db_.get(), sql)).first;
  return CachedStatement(*it->second);
}

int64_t Database::query_int64(std::string_view sql) {
  Statement stmt = prepare(sql);
  if (!stmt.step()) throw StorageError("\"" + std::string(sql) + "\" returned no row");
  return stmt.int64(0);
}

std::string Database::query_text(std::string_view sql) {
  Statement stmt = prepare(sql);
  if (!stmt.step()) throw StorageError("\"" + std::string(sql) + "\" returned no row");
  return stmt.text(0);
}

Transaction::Transaction(Database& db) : db_(&db) {
  db_->exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!open_) return;
  // A failed ROLLBACK (e.g. SQLite already rolled back after an I/O error) leaves nothing to undo.
  sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_->exec("COMMIT");
  open_ = false;
}

}  // namespace glasswing::storage
