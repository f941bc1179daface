#include "inference/model/attention_export.h"

#include <cstdio>

#include "inference/chat/jinja_text.h"

namespace glasswing::model::attention_export {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one (overlong forms,
// surrogates and code points past U+10FFFF are invalid too).
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t len = 0;
  uint32_t cp = 0, min = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

std::string number(float v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

std::string display_token(std::string_view piece) {
  std::string out;
  for (size_t i = 0; i < piece.size();) {
    if (const size_t len = utf8_sequence(piece, i)) {
      out.append(piece.substr(i, len));
      i += len;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "<0x%02X>", static_cast<unsigned char>(piece[i]));
      out += buf;
      ++i;
    }
  }
  return out;
}

std::string csv_field(std::string_view text) {
  const bool quote = text.find_first_of(",\"\n") != std::string_view::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' ' || text.front() == '\t' ||
                                        text.back() == '\t'));
  if (!quote) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The same encoding tojson uses in chat templates (Python's json.dumps, non-ASCII kept as UTF-8).
std::string json_string(std::string_view utf8) {
  return chat::jinja::text::json_string(utf8);
}

void write_matrix_csv(std::ostream& out, const AttentionMatrix& m, const MatrixInfo& info) {
  out << csv_field("query\\key");
  for (int64_t k = m.keys.begin; k < m.keys.end; ++k)
    out << ',' << csv_field(info.tokens[static_cast<size_t>(k)]);
  out << "\n";
  for (int64_t q = m.queries.begin; q < m.queries.end; ++q) {
    out << csv_field(info.tokens[static_cast<size_t>(q)]);
    for (int64_t k = m.keys.begin; k < m.keys.end; ++k) out << ',' << number(m.at(q, k));
    out << "\n";
  }
}

std::string matrix_json(const AttentionMatrix& m, const MatrixInfo& info) {
  auto positions = [](Range r) {
    std::string s = "[";
    for (int64_t p = r.begin; p < r.end; ++p) s += (p > r.begin ? ", " : "") + std::to_string(p);
    return s + "]";
  };
  auto tokens = [&](Range r) {
    std::string s = "[";
    for (int64_t p = r.begin; p < r.end; ++p)
      s += (p > r.begin ? ", " : "") + json_string(info.tokens[static_cast<size_t>(p)]);
    return s + "]";
  };
  std::string j = "{\n";
  j += "  \"model\": " + json_string(info.model) + ",\n";
  j += "  \"backend\": " + json_string(info.backend) + ",\n";
  j += "  \"layer\": " + std::to_string(info.layer) + ",\n";
  j += "  \"head\": " + std::to_string(info.head) + ",\n";
  j += "  \"kv_head\": " + std::to_string(info.kv_head) + ",\n";
  j += "  \"n_queries\": " + std::to_string(m.queries.size()) + ",\n";
  j += "  \"n_keys\": " + std::to_string(m.keys.size()) + ",\n";
  j += "  \"query_positions\": " + positions(m.queries) + ",\n";
  j += "  \"key_positions\": " + positions(m.keys) + ",\n";
  j += "  \"query_tokens\": " + tokens(m.queries) + ",\n";
  j += "  \"key_tokens\": " + tokens(m.keys) + ",\n";
  j += "  \"dtype\": \"float32\",\n";
  j += "  \"byte_order\": \"little\",\n";
  j += "  \"shape\": [" + std::to_string(m.queries.size()) + ", " + std::to_string(m.keys.size()) + "]\n";
  return j + "}\n";
}

void write_summary_csv(std::ostream& out, const std::vector<HeadSummary>& summary, int64_t gqa_group) {
  write_summary_csv(out, summary, [gqa_group](int64_t) { return gqa_group; });
}

void write_summary_csv(std::ostream& out, const std::vector<HeadSummary>& summary,
                       const std::function<int64_t(int64_t layer)>& gqa_group) {
  out << "layer,head,kv_head,max_prob,entropy,first_token\n";
  for (const auto& h : summary) {
    const int64_t group = gqa_group(h.layer);
    out << h.layer << ',' << h.head << ',';
    if (group > 0) out << h.head / group;  // (empty for a layer without attention)
    out << ',' << number(h.max_prob) << ',' << number(h.entropy) << ',' << number(h.first_token) << "\n";
  }
}

}  // namespace glasswing::model::attention_export
