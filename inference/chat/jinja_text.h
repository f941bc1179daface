#pragma once
// Python string semantics over UTF-8 text: code-point length and indexing, str.strip()/split()/title(),
// case mapping, repr() quoting and float repr(). Templates index and trim text the way Python does, so these
// must agree with Python on non-ASCII text (é, 🌊) too.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace glasswing::chat::jinja::text {

// Decodes UTF-8; invalid bytes become U+FFFD (never throws).
std::u32string decode(std::string_view s);
std::string encode(std::u32string_view s);
void append_utf8(std::string& out, char32_t c);
size_t length(std::string_view s);  // in code points

bool is_space(char32_t c);  // Python str.isspace()
char32_t to_upper(char32_t c);
char32_t to_lower(char32_t c);
bool is_alpha(char32_t c);
bool is_cased(char32_t c);  // has an upper/lower variant

std::string upper(std::string_view s);
std::string lower(std::string_view s);
std::string title(std::string_view s);       // str.title()
std::string capitalize(std::string_view s);  // str.capitalize()

// str.strip/lstrip/rstrip; `chars` empty-and-not-given means whitespace.
std::string strip(std::string_view s, const std::u32string* chars, bool left, bool right);
// str.split(sep, maxsplit): sep == nullptr splits on whitespace runs.
std::vector<std::string> split(std::string_view s, const std::string* sep, int64_t maxsplit);
std::vector<std::string> rsplit(std::string_view s, const std::string* sep, int64_t maxsplit);
std::string replace(std::string_view s, std::string_view from, std::string_view to, int64_t count);

std::string repr_string(std::string_view s);  // Python repr() of a str
std::string json_string(std::string_view s);  // json.dumps of a str, non-ASCII kept
std::string float_repr(double d);             // Python repr() of a float
std::string int_str(int64_t i);

}  // namespace glasswing::chat::jinja::text
