#pragma once
// UTF-8 and byte-level helpers shared by the tokenizers. Nothing here allocates per character on hot paths
// except where a std::string is returned.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace glasswing::tokenizer::unicode {

// Length of the UTF-8 sequence announced by `lead`, judged from its high bits only (a stray continuation
// byte counts as 1). Used to walk vocabulary strings, which are trusted.
inline size_t sequence_length(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

// Decodes one well-formed sequence (no overlongs, no surrogates, at most U+10FFFF) at text[pos].
// Returns its length (1..4) and stores the code point, or returns 0 when the bytes there are not
// a complete well-formed sequence.
size_t decode(std::string_view text, size_t pos, uint32_t& codepoint);

void append_utf8(std::string& out, uint32_t codepoint);

// True when every byte belongs to a well-formed sequence.
bool is_valid(std::string_view text);

// Copy of `text` that is valid UTF-8: each ill-formed part is replaced by one U+FFFD, using the Unicode
// "maximal subpart" rule (a truncated sequence counts once, a stray byte once), as browsers and Python do.
std::string sanitize(std::string_view text);

// Number of bytes at the end of `text` that form the beginning of a well-formed sequence whose
// remaining bytes have not arrived yet (0..3). A streaming decoder holds exactly these back.
size_t incomplete_tail(std::string_view text);

// GPT-2 byte-level encoding: every byte maps to one printable code point (bytes 0x21-0x7E, 0xA1-0xAC
// and 0xAE-0xFF map to themselves, the rest to U+0100 upwards). Returns the UTF-8 of the mapped code point.
const std::string& byte_to_symbol(uint8_t byte);
// Inverse mapping: the byte a code point stands for, or -1 when it is not part of the mapping.
int symbol_to_byte(uint32_t codepoint);

}  // namespace glasswing::tokenizer::unicode
