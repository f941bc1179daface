#pragma once
// general.file_type: llama.cpp's llama_ftype, the name its quantizer gives a whole file ("Q4_K_M",
// "IQ2_XXS").
#include <cstdint>
#include <string>

namespace glasswing::gguf {

// The name of a file type value, or "" for one this table does not know.
std::string file_type_name(uint64_t file_type);

}  // namespace glasswing::gguf
