#pragma once
// `glasswing-cli attention`'s position ranges, and its file formats (inference/model/attention_export.h).
#include <cstdint>
#include <string_view>

#include "inference/model/attention_export.h"
#include "inference/model/backend.h"

namespace glasswing::cli::attention_output {

// "A:B" → [A, B); "A:" runs to `n`, ":B" starts at 0, "" or ":" is everything. Throws UsageError
// (naming `flag`) for bad syntax, an empty range or one past the n positions of the sequence.
model::Range parse_range(std::string_view flag, std::string_view text, int64_t n);

// The file formats themselves live in the engine library, shared with the app.
using model::attention_export::csv_field;
using model::attention_export::display_token;
using model::attention_export::json_string;
using model::attention_export::matrix_json;
using model::attention_export::MatrixInfo;
using model::attention_export::write_matrix_csv;
using model::attention_export::write_summary_csv;

}  // namespace glasswing::cli::attention_output
