#include "inference/tokenizer/unicode.h"

#include <vector>

namespace glasswing::tokenizer::unicode {

size_t decode(std::string_view text, size_t pos, uint32_t& codepoint) {
  const size_t n = text.size() - pos;
  const auto b0 = static_cast<uint8_t>(text[pos]);
  if (b0 < 0x80) {
    codepoint = b0;
    return 1;
  }
  auto cont = [&](size_t i) { return i < n && (static_cast<uint8_t>(text[pos + i]) & 0xC0) == 0x80; };
  auto bits = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(text[pos + i]) & 0x3F); };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1)) return 0;
    codepoint = ((b0 & 0x1Fu) << 6) | bits(1);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const uint32_t cp = ((b0 & 0x0Fu) << 12) | (bits(1) << 6) | bits(2);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    codepoint = cp;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const uint32_t cp = ((b0 & 0x07u) << 18) | (bits(1) << 12) | (bits(2) << 6) | bits(3);
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
    codepoint = cp;
    return 4;
  }
  return 0;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_valid(std::string_view text) {
  uint32_t cp = 0;
  for (size_t pos = 0; pos < text.size();) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const size_t len = decode(text, pos, cp);
    if (len == 0) return false;
    pos += len;
  }
  return true;
}

namespace {
// Length of the longest prefix of a well-formed sequence at text[pos] (the Unicode "maximal subpart"),
// at least 1: that many bytes are replaced by a single U+FFFD.
size_t maximal_subpart(std::string_view text, size_t pos) {
  const auto b0 = static_cast<uint8_t>(text[pos]);
  size_t need = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF)
    need = 2;
  else if (b0 >= 0xE0 && b0 <= 0xEF)
    need = 3, lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
  else if (b0 >= 0xF0 && b0 <= 0xF4)
    need = 4, lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
  else
    return 1;
  size_t len = 1;
  while (len < need && pos + len < text.size()) {
    const auto b = static_cast<uint8_t>(text[pos + len]);
    if (len == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) break;
    ++len;
  }
  return len;
}
}  // namespace

std::string sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  uint32_t cp = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t len = decode(text, pos, cp);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      pos += maximal_subpart(text, pos);
    } else {
      out.append(text.data() + pos, len);
      pos += len;
    }
  }
  return out;
}

size_t incomplete_tail(std::string_view text) {
  // Look at most 3 bytes back for a lead byte whose sequence is longer than what follows it.
  const size_t n = text.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto b = static_cast<uint8_t>(text[n - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = 0;
    if (b >= 0xC2 && b <= 0xDF)
      need = 2;
    else if (b >= 0xE0 && b <= 0xEF)
      need = 3;
    else if (b >= 0xF0 && b <= 0xF4)
      need = 4;
    if (need <= back) return 0;  // ASCII, invalid lead, or a sequence that is already complete
    // The bytes present must not already rule the sequence out (overlong / surrogate / out of range).
    if (back >= 2) {
      const auto b1 = static_cast<uint8_t>(text[n - back + 1]);
      if (b == 0xE0 && b1 < 0xA0) return 0;
      if (b == 0xED && b1 > 0x9F) return 0;
      if (b == 0xF0 && b1 < 0x90) return 0;
      if (b == 0xF4 && b1 > 0x8F) return 0;
    }
    return back;
  }
  return 0;
}

namespace {
struct ByteMap {
  std::array<std::string, 256> to_symbol;
  std::vector<int16_t> from_cp;  // indexed by code point (< 512)
  ByteMap() : from_cp(512, -1) {
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const uint32_t cp = printable ? static_cast<uint32_t>(b) : next++;
      append_utf8(to_symbol[b], cp);
      from_cp[cp] = static_cast<int16_t>(b);
    }
  }
};
const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}
}  // namespace

const std::string& byte_to_symbol(uint8_t byte) {
  return byte_map().to_symbol[byte];
}

int symbol_to_byte(uint32_t codepoint) {
  const auto& m = byte_map();
  return codepoint < m.from_cp.size() ? m.from_cp[codepoint] : -1;
}

}  // namespace glasswing::tokenizer::unicode
