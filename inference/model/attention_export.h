#pragma once
// The attention matrix and the layer × head summary as files people and scripts read: CSV, and raw float32
// with a JSON header. Shared by `glasswing-cli attention` and the app's attention view ("Save as CSV"), so
// both write the same bytes; the tests check them byte for byte.
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "inference/model/backend.h"

namespace glasswing::model::attention_export {

// A token's text for people: its bytes when they are valid UTF-8, with every invalid byte written as
// <0xNN> (byte-fallback pieces of a multi-byte character), so CSV and JSON stay valid UTF-8.
std::string display_token(std::string_view piece);

// RFC 4180 field: quoted (quotes doubled) when it holds a comma, quote, CR/LF or leading/trailing space.
std::string csv_field(std::string_view text);

// A JSON string literal (quotes included); control characters become \n, \t, \u00XX.
std::string json_string(std::string_view utf8);

// Everything the writers need besides the numbers.
struct MatrixInfo {
  std::string model;    // file name
  std::string backend;  // "cpu", "vulkan"
  int64_t layer = 0, head = 0, kv_head = 0;
  std::vector<std::string> tokens;  // display text of every position of the sequence
};

// Header row: "query\key", then the key tokens; then one row per query: its token, then the probabilities.
void write_matrix_csv(std::ostream& out, const AttentionMatrix& m, const MatrixInfo& info);

// The header FILE.json beside a raw float32 file: shape, positions and token strings.
std::string matrix_json(const AttentionMatrix& m, const MatrixInfo& info);

// layer,head,kv_head,max_prob,entropy,first_token — one row per (layer, head), in the summary's order.
void write_summary_csv(std::ostream& out, const std::vector<HeadSummary>& summary, int64_t gqa_group);
// The same with each layer's own query heads per KV head (Gemma 4, deci); 0 for a layer without attention
// leaves its kv_head empty.
void write_summary_csv(std::ostream& out, const std::vector<HeadSummary>& summary,
                       const std::function<int64_t(int64_t layer)>& gqa_group);

}  // namespace glasswing::model::attention_export
