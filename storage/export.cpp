#include "storage/export.h"

#include <map>
#include <set>

namespace glasswing::storage {

using nlohmann::json;

namespace {

constexpr const char* kFormat = "glasswing.conversation";
constexpr int kFormatVersion = 1;

json optional_number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}
json optional_id(const std::optional<int64_t>& v) {
  return v ? json(*v) : json(nullptr);
}

std::optional<int64_t> stored_active_root(Store& store, int64_t conversation_id) {
  Statement stmt = store.database().prepare("SELECT active_root_id FROM conversations WHERE id = ?1");
  stmt.bind_all(conversation_id);
  if (!stmt.step()) return std::nullopt;
  return stmt.optional_int64(0);
}

// The messages to export: all of them, or those on the active path.
std::vector<const Message*> selected_messages(const ConversationTree& tree, ExportBranches branches) {
  std::vector<const Message*> out;
  if (branches == ExportBranches::all) {
    for (const Message& m : tree.messages) out.push_back(&m);
  } else {
    for (int64_t id : tree.active_path) out.push_back(tree.find(id));
  }
  return out;
}

}  // namespace

json export_json(Store& store, int64_t conversation_id, ExportBranches branches) {
  const ConversationTree tree = store.load_conversation(conversation_id);
  const Conversation& c = tree.conversation;
  const std::vector<const Message*> selected = selected_messages(tree, branches);
  std::set<int64_t> included;
  for (const Message* m : selected) included.insert(m->id);

  json conversation = {{"title", c.title},
                       {"created_ms", c.created_ms},
                       {"updated_ms", c.updated_ms},
                       {"pinned", c.pinned},
                       {"system_prompt", c.system_prompt},
                       {"sampler_settings", c.sampler_settings},
                       {"seed", optional_id(c.seed)},
                       {"model", nullptr}};
  if (c.model_id)
    if (auto model = store.model(*c.model_id))
      conversation["model"] = {{"path", model->path},
                               {"file_size", model->file_size_bytes},
                               {"header_sha256", model->header_sha256},
                               {"architecture", model->architecture},
                               {"quant", model->quant},
                               {"n_params", model->n_params}};

  // Remembered choices are exported only where they point at an exported child; elsewhere the reader's
  // fallback (newest) applies, on both sides alike.
  auto remembered = [&](std::optional<int64_t> id, std::optional<int64_t> parent) -> json {
    if (!id || !included.count(*id)) return nullptr;
    const Message* child = tree.find(*id);
    return child && child->parent_id == parent ? json(*id) : json(nullptr);
  };

  json messages = json::array();
  for (const Message* m : selected) {
    messages.push_back({{"id", m->id},
                        {"parent", optional_id(m->parent_id)},
                        {"active_child", remembered(store.stored_active_child(m->id), m->id)},
                        {"role", to_string(m->role)},
                        {"content", m->content},
                        {"token_count", m->token_count},
                        {"status", to_string(m->status)},
                        {"status_reason", m->status_reason},
                        {"created_ms", m->created_ms},
                        {"timings",
                         {{"time_to_first_token_ms", optional_number(m->timings.time_to_first_token_ms)},
                          {"prompt_tokens_per_s", optional_number(m->timings.prompt_tokens_per_s)},
                          {"generation_tokens_per_s", optional_number(m->timings.generation_tokens_per_s)}}},
                        {"device", m->device},
                        {"backend", m->backend}});
  }

  json comparisons = json::array();
  for (const Comparison& cmp : store.comparisons(conversation_id)) {
    if (!included.count(cmp.left_root_id) || !included.count(cmp.right_root_id)) continue;
    comparisons.push_back({{"kind", cmp.kind == ComparisonKind::prompts ? "prompts" : "settings"},
                           {"title", cmp.title},
                           {"created_ms", cmp.created_ms},
                           {"left_root", cmp.left_root_id},
                           {"right_root", cmp.right_root_id},
                           {"left_settings", cmp.left_settings},
                           {"right_settings", cmp.right_settings}});
  }

  return {{"format", kFormat},
          {"format_version", kFormatVersion},
          {"branches", branches == ExportBranches::all ? "all" : "active"},
          {"conversation", conversation},
          {"active_root", remembered(stored_active_root(store, conversation_id), std::nullopt)},
          {"messages", messages},
          {"comparisons", comparisons}};
}

// ---------------------------------------------------------------- import

namespace {

// Typed field access with errors that name the field.
class Reader {
 public:
  Reader(const json& object, std::string where) : object_(object), where_(std::move(where)) {
    if (!object_.is_object()) fail("is not a JSON object");
  }
  [[noreturn]] void fail(const std::string& what) const { throw ImportError(where_ + " " + what); }
  const json& field(const char* name) const {
    auto it = object_.find(name);
    if (it == object_.end()) throw ImportError(where_ + ": missing field '" + name + "'");
    return *it;
  }
  std::string text(const char* name) const {
    const json& v = field(name);
    if (!v.is_string()) throw ImportError(where_ + ": field '" + name + "' must be a string");
    return v.get<std::string>();
  }
  int64_t integer(const char* name) const {
    const json& v = field(name);
    if (!v.is_number_integer()) throw ImportError(where_ + ": field '" + name + "' must be an integer");
    return v.get<int64_t>();
  }
  std::optional<int64_t> optional_integer(const char* name) const {
    const json& v = field(name);
    if (v.is_null()) return std::nullopt;
    return integer(name);
  }
  std::optional<double> optional_number(const char* name) const {
    const json& v = field(name);
    if (v.is_null()) return std::nullopt;
    if (!v.is_number()) throw ImportError(where_ + ": field '" + name + "' must be a number or null");
    return v.get<double>();
  }
  bool boolean(const char* name) const {
    const json& v = field(name);
    if (!v.is_boolean()) throw ImportError(where_ + ": field '" + name + "' must be true or false");
    return v.get<bool>();
  }
  const json& object(const char* name) const {
    const json& v = field(name);
    if (!v.is_object()) throw ImportError(where_ + ": field '" + name + "' must be an object");
    return v;
  }
  const json& array(const char* name) const {
    const json& v = field(name);
    if (!v.is_array()) throw ImportError(where_ + ": field '" + name + "' must be an array");
    return v;
  }

 private:
  const json& object_;
  std::string where_;
};

}  // namespace

int64_t import_json(Store& store, const json& document) {
  const Reader doc(document, "the document");
  if (doc.text("format") != kFormat) throw ImportError("not a Glasswing conversation export (format field)");
  if (doc.integer("format_version") != kFormatVersion)
    throw ImportError("unsupported format_version " + std::to_string(doc.integer("format_version")) +
                      " (this Glasswing reads " + std::to_string(kFormatVersion) + ")");
  const Reader conv(doc.object("conversation"), "conversation");
  const json& messages = doc.array("messages");
  const json& comparisons = doc.array("comparisons");

  Transaction tx(store.database());
  Conversation c;
  c.title = conv.text("title");
  c.created_ms = conv.integer("created_ms");
  c.updated_ms = conv.integer("updated_ms");
  c.pinned = conv.boolean("pinned");
  c.system_prompt = conv.text("system_prompt");
  c.sampler_settings = conv.object("sampler_settings");
  c.seed = conv.optional_integer("seed");
  if (const json& model = conv.field("model"); !model.is_null()) {
    const Reader m(model, "conversation.model");
    ModelRecord record{0,
                       m.text("path"),
                       m.integer("file_size"),
                       m.text("header_sha256"),
                       m.text("architecture"),
                       m.text("quant"),
                       m.integer("n_params")};
    // record_model opens its own transaction; do the same upsert inline here.
    Statement upsert = store.database().prepare(
        "INSERT INTO models (path, file_size, header_sha256, architecture, quant, n_params, first_seen_ms, "
        "last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) "
        "ON CONFLICT (path, header_sha256) DO UPDATE SET last_seen_ms = last_seen_ms RETURNING id");
    upsert.bind_all(record.path, record.file_size_bytes, record.header_sha256, record.architecture,
                    record.quant, record.n_params, c.created_ms);
    if (!upsert.step()) throw StorageError("recording the imported model returned no id");
    c.model_id = upsert.int64(0);
    upsert.run();
  }
  const int64_t conversation_id = store.insert_conversation_verbatim(c);

  std::map<int64_t, int64_t> new_id;  // file id -> stored id
  struct ActiveChoice {
    int64_t stored_parent, file_parent, file_child;
  };
  std::vector<ActiveChoice> active_children;
  std::map<int64_t, std::optional<int64_t>> file_parent;  // file id -> file parent id
  for (size_t i = 0; i < messages.size(); ++i) {
    const Reader r(messages[i], "messages[" + std::to_string(i) + "]");
    const int64_t file_id = r.integer("id");
    if (new_id.count(file_id)) r.fail(": duplicate id " + std::to_string(file_id));
    Message m;
    m.conversation_id = conversation_id;
    if (auto parent = r.optional_integer("parent")) {
      auto it = new_id.find(*parent);
      if (it == new_id.end()) r.fail(": parent " + std::to_string(*parent) + " does not come before it");
      m.parent_id = it->second;
    }
    const auto role = role_from_string(r.text("role"));
    if (!role) r.fail(": unknown role '" + r.text("role") + "'");
    m.role = *role;
    m.content = r.text("content");
    m.token_count = r.integer("token_count");
    const auto status = status_from_string(r.text("status"));
    if (!status) r.fail(": unknown status '" + r.text("status") + "'");
    m.status = *status == MessageStatus::streaming ? MessageStatus::interrupted : *status;
    m.status_reason = r.text("status_reason");
    m.created_ms = r.integer("created_ms");
    const Reader t(r.object("timings"), "messages[" + std::to_string(i) + "].timings");
    m.timings.time_to_first_token_ms = t.optional_number("time_to_first_token_ms");
    m.timings.prompt_tokens_per_s = t.optional_number("prompt_tokens_per_s");
    m.timings.generation_tokens_per_s = t.optional_number("generation_tokens_per_s");
    m.device = r.text("device");
    m.backend = r.text("backend");
    const int64_t stored = store.insert_message_verbatim(m, std::nullopt);
    new_id[file_id] = stored;
    file_parent[file_id] = r.optional_integer("parent");
    if (auto child = r.optional_integer("active_child")) active_children.push_back({stored, file_id, *child});
  }
  auto stored_child = [&](int64_t file_child, std::optional<int64_t> file_parent_id,
                          const std::string& where) {
    auto it = new_id.find(file_child);
    if (it == new_id.end() || file_parent[file_child] != file_parent_id)
      throw ImportError(where + " " + std::to_string(file_child) + " is not a child message there");
    return it->second;
  };
  for (const ActiveChoice& choice : active_children)
    store.set_active_child(choice.stored_parent,
                           stored_child(choice.file_child, choice.file_parent, "active_child"));
  if (auto root = Reader(document, "the document").optional_integer("active_root"))
    store.set_active_root(conversation_id, stored_child(*root, std::nullopt, "active_root"));
  store.recompute_active_leaf(conversation_id);

  for (size_t i = 0; i < comparisons.size(); ++i) {
    const Reader r(comparisons[i], "comparisons[" + std::to_string(i) + "]");
    const std::string kind = r.text("kind");
    if (kind != "prompts" && kind != "settings") r.fail(": unknown kind '" + kind + "'");
    const auto left = new_id.find(r.integer("left_root"));
    const auto right = new_id.find(r.integer("right_root"));
    if (left == new_id.end() || right == new_id.end()) r.fail(": a root is not among the messages");
    Statement insert = store.database().prepare(
        "INSERT INTO comparisons (conversation_id, kind, title, created_ms, left_root_id, right_root_id, "
        "left_settings_json, right_settings_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    insert.bind_all(conversation_id, kind, r.text("title"), r.integer("created_ms"), left->second,
                    right->second,
                    r.object("left_settings").dump(-1, ' ', false, json::error_handler_t::replace),
                    r.object("right_settings").dump(-1, ' ', false, json::error_handler_t::replace));
    insert.run();
  }
  tx.commit();
  return conversation_id;
}

// ---------------------------------------------------------------- Markdown

namespace {

std::string format_time(int64_t unix_ms) {
  return format_utc(unix_ms, "%Y-%m-%d %H:%M UTC");
}

std::string role_heading(Role role) {
  switch (role) {
    case Role::system:
      return "System";
    case Role::user:
      return "User";
    case Role::assistant:
      return "Assistant";
  }
  return "User";
}

std::string message_details(const Message& m) {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : " · ") + part; };
  if (m.role == Role::assistant && m.token_count > 0)
    add(std::to_string(m.token_count) + (m.token_count == 1 ? " token" : " tokens"));
  char buffer[64];
  if (m.timings.time_to_first_token_ms) {
    std::snprintf(buffer, sizeof buffer, "first token %.0f ms", *m.timings.time_to_first_token_ms);
    add(buffer);
  }
  if (m.timings.prompt_tokens_per_s) {
    std::snprintf(buffer, sizeof buffer, "prompt %.1f t/s", *m.timings.prompt_tokens_per_s);
    add(buffer);
  }
  if (m.timings.generation_tokens_per_s) {
    std::snprintf(buffer, sizeof buffer, "generation %.1f t/s", *m.timings.generation_tokens_per_s);
    add(buffer);
  }
  if (!m.backend.empty()) add(m.backend + (m.device.empty() ? "" : " on " + m.device));
  return out;
}

void append_message(std::string& md, const Message& m, const std::string& label) {
  md += "### " + role_heading(m.role) + label;
  const std::string details = message_details(m);
  if (!details.empty()) md += " <small>(" + details + ")</small>";
  md += "\n\n" + m.content + "\n\n";
  if (m.status != MessageStatus::complete)
    md += "> *" + std::string(to_string(m.status)) + (m.status_reason.empty() ? "" : ": " + m.status_reason) +
          "*\n\n";
}

}  // namespace

std::string export_markdown(Store& store, int64_t conversation_id, ExportBranches branches) {
  const ConversationTree tree = store.load_conversation(conversation_id);
  const Conversation& c = tree.conversation;
  std::string md = "# " + (c.title.empty() ? std::string("Untitled conversation") : c.title) + "\n\n";
  md += "- Created: " + format_time(c.created_ms) + ", updated: " + format_time(c.updated_ms) + "\n";
  if (c.model_id)
    if (auto model = store.model(*c.model_id))
      md += "- Model: `" + model->path + "`" +
            (model->architecture.empty() ? "" : " (" + model->architecture + ", " + model->quant + ")") +
            "\n";
  if (c.seed) md += "- Seed: " + std::to_string(*c.seed) + "\n";
  if (!c.sampler_settings.empty())
    md += "- Sampler: `" + c.sampler_settings.dump(-1, ' ', false, json::error_handler_t::replace) + "`\n";
  md += "\n";
  if (!c.system_prompt.empty()) md += "## System prompt\n\n" + c.system_prompt + "\n\n";

  if (branches == ExportBranches::active) {
    for (int64_t id : tree.active_path) append_message(md, *tree.find(id), "");
    return md;
  }
  // Every branch, depth first. A label like 2.1 reads "second answer at the first fork, first below it";
  // siblings are numbered only where there is a choice. Messages off the active branch are marked.
  const std::set<int64_t> active(tree.active_path.begin(), tree.active_path.end());
  struct Item {
    const Message* message;
    std::string label;
  };
  std::vector<Item> stack;
  std::map<std::optional<int64_t>, std::vector<const Message*>> children_of;  // in id order
  for (const Message& m : tree.messages) children_of[m.parent_id].push_back(&m);
  auto push_children = [&](std::optional<int64_t> parent, const std::string& label) {
    const auto& children = children_of[parent];
    for (size_t i = children.size(); i-- > 0;) {
      std::string child_label = label;
      if (children.size() > 1) child_label += (label.empty() ? "" : ".") + std::to_string(i + 1);
      stack.push_back({children[i], child_label});
    }
  };
  push_children(std::nullopt, "");
  while (!stack.empty()) {
    Item item = stack.back();
    stack.pop_back();
    std::string label;
    if (!item.label.empty()) label += " [branch " + item.label + "]";
    if (!active.count(item.message->id)) label += " (inactive)";
    append_message(md, *item.message, label);
    push_children(item.message->id, item.label);
  }
  return md;
}

}  // namespace glasswing::storage
