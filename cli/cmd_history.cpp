// glasswing-cli history --db FILE.sqlite [--search TEXT] — the stored conversations, or the messages matching
// a search, best first.
#include <cstdio>

#include "cli/command.h"
#include "cli/storage_open.h"

namespace {

using namespace glasswing;

std::string format_time(int64_t unix_ms) {
  return storage::format_utc(unix_ms, "%Y-%m-%d %H:%M");
}

// One line per hit or conversation: newlines inside a title or snippet would break the table.
std::string one_line(std::string text) {
  for (char& ch : text)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  return text;
}

int run_history(cli::Args& args) {
  if (!args.positional().empty()) throw cli::UsageError("unexpected argument '" + args.positional()[0] + "'");
  const int64_t limit = args.integer("--limit", 50);
  if (limit <= 0) throw cli::UsageError("--limit must be positive");
  storage::Store store = cli::open_store(args.require("--db"), /*create=*/false);

  if (auto text = args.get("--search")) {
    storage::SearchOptions options;
    options.limit = static_cast<int>(limit);
    const auto hits = store.search(*text, options);
    std::printf("%-6s %-8s %-10s %s\n", "CONV", "MESSAGE", "ROLE", "TITLE: SNIPPET");
    for (const auto& hit : hits)
      std::printf("%-6lld %-8lld %-10s %s: %s\n", static_cast<long long>(hit.conversation_id),
                  static_cast<long long>(hit.message_id), std::string(storage::to_string(hit.role)).c_str(),
                  one_line(hit.conversation_title.empty() ? "(untitled)" : hit.conversation_title).c_str(),
                  one_line(hit.snippet).c_str());
    std::printf("%zu match%s\n", hits.size(), hits.size() == 1 ? "" : "es");
    return 0;
  }

  const auto conversations = store.list_conversations();
  std::printf("%-6s %-16s %8s  %s\n", "ID", "UPDATED (UTC)", "MESSAGES", "TITLE");
  int64_t shown = 0;
  for (const auto& summary : conversations) {
    if (shown++ == limit) break;
    const auto& c = summary.conversation;
    std::printf("%-6lld %-16s %8lld  %s%s\n", static_cast<long long>(c.id), format_time(c.updated_ms).c_str(),
                static_cast<long long>(summary.n_messages), c.pinned ? "[pinned] " : "",
                one_line(c.title.empty() ? "(untitled)" : c.title).c_str());
    if (!c.load_problem.empty())
      std::fprintf(stderr, "glasswing-cli: warning: conversation %lld: %s\n", static_cast<long long>(c.id),
                   c.load_problem.c_str());
  }
  std::printf("%zu conversation%s\n", conversations.size(), conversations.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace

GLASSWING_CLI_COMMAND(history, "history --db FILE.sqlite [--search TEXT] [--limit N]",
                      "list stored conversations (pinned first, newest first) or search their messages",
                      ({{"--db", "", true, "the conversation database"},
                        {"--search", "", true, "show messages containing every word of TEXT, best first"},
                        {"--limit", "", true, "show at most N rows (default 50)"}}),
                      run_history);
