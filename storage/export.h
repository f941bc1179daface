#pragma once
// Export of a conversation as Markdown (for reading) and JSON (for moving between machines), and import of
// that JSON back into an identical tree: same messages with every field, same parent links, same remembered
// branch choices, same comparisons. Ids are renumbered on import; everything else is kept.
//
// JSON layout ("format": "glasswing.conversation", "format_version": 1):
//   conversation {title, created_ms, updated_ms, pinned, system_prompt, sampler_settings, seed, model|null}
//   messages [{id, parent, active_child, role, content, token_count, status, status_reason, created_ms,
//              timings {time_to_first_token_ms, prompt_tokens_per_s, generation_tokens_per_s}, device,
//              backend}]
//   active_root, comparisons [{kind, title, created_ms, left_root, right_root, left_settings,
//   right_settings}]
// Message ids in the file only link messages to each other; parents come before their children.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "storage/store.h"

namespace glasswing::storage {

enum class ExportBranches { active, all };

nlohmann::json export_json(Store& store, int64_t conversation_id, ExportBranches branches);
std::string export_markdown(Store& store, int64_t conversation_id, ExportBranches branches);

// Creates a new conversation from export_json's output, in one transaction; returns its id. Malformed input
// throws ImportError naming the field (nothing is written). A message still 'streaming' in the file is
// imported as 'interrupted': no process is writing it here.
class ImportError : public StorageError {
 public:
  using StorageError::StorageError;
};
int64_t import_json(Store& store, const nlohmann::json& document);

}  // namespace glasswing::storage
