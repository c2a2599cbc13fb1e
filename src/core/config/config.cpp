#include "core/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include "core/error/error.hpp"

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

namespace sampo::config {

std::string to_string(Type t) {
  switch (t) {
    case Type::boolean: return "boolean";
    case Type::integer: return "integer";
    case Type::real: return "real";
    case Type::string: return "string";
    case Type::real_list: return "list of reals";
    case Type::integer_list: return "list of integers";
  }
  return "?";
}

namespace {

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os.precision(17);
  os << v;
  std::string s = os.str();
  // Shortest representation that round-trips.
  for (int p = 1; p <= 17; ++p) {
    std::ostringstream t;
    t.precision(p);
    t << v;
    if (std::stod(t.str()) == v) {
      s = t.str();
      break;
    }
  }
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

std::string format_value(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(x);
        else if constexpr (std::is_same_v<T, double>) return format_number(x);
        else if constexpr (std::is_same_v<T, std::string>) return quote(x);
        else {
          std::string s = "[";
          for (std::size_t i = 0; i < x.size(); ++i) {
            if (i) s += ", ";
            if constexpr (std::is_same_v<T, std::vector<double>>) s += format_number(x[i]);
            else s += std::to_string(x[i]);
          }
          return s + "]";
        }
      },
      v);
}

std::string describe_node(const toml::node& n) {
  std::ostringstream os;
  if (n.is_string()) os << "string " << quote(*n.value<std::string>());
  else if (n.is_table()) os << "a table";
  else if (n.is_array()) os << "an array";
  else if (n.is_integer()) os << "integer " << *n.value<std::int64_t>();
  else if (n.is_floating_point()) os << "real " << format_number(*n.value<double>());
  else if (n.is_boolean()) os << "boolean " << (*n.value<bool>() ? "true" : "false");
  else os << "a date/time";
  return os.str();
}

std::string range_text(const Key& k) {
  if (!k.min && !k.max) return "";
  std::ostringstream os;
  auto fmt = [&](double v) { return k.type == Type::integer || k.type == Type::integer_list
                                        ? std::to_string(static_cast<long long>(v))
                                        : format_number(v); };
  if (k.min && k.max) os << fmt(*k.min) << " <= value <= " << fmt(*k.max);
  else if (k.min) os << "value >= " << fmt(*k.min);
  else os << "value <= " << fmt(*k.max);
  return os.str();
}

// Converts a TOML node to the key's type; throws ConfigError with `where` in the message.
Value convert(const Key& k, const toml::node& n, const std::string& where) {
  auto fail = [&](const std::string& why) -> ConfigError {
    return ConfigError(where + ": key '" + k.name + "' " + why + " (" + k.doc + ")");
  };
  auto check_real = [&](double v) {
    if (!std::isfinite(v)) throw fail("must be finite, got " + format_number(v));
    if ((k.min && v < *k.min) || (k.max && v > *k.max))
      throw fail("= " + format_number(v) + " is out of range; allowed: " + range_text(k));
  };
  auto check_int = [&](std::int64_t v) {
    if ((k.min && static_cast<double>(v) < *k.min) || (k.max && static_cast<double>(v) > *k.max))
      throw fail("= " + std::to_string(v) + " is out of range; allowed: " + range_text(k));
  };
  auto expected = [&]() { return fail("expects a " + to_string(k.type) + ", got " + describe_node(n)); };
  switch (k.type) {
    case Type::boolean:
      if (!n.is_boolean()) throw expected();
      return *n.value<bool>();
    case Type::integer:
      if (!n.is_integer()) throw expected();
      check_int(*n.value<std::int64_t>());
      return *n.value<std::int64_t>();
    case Type::real: {
      if (!n.is_number()) throw expected();
      const double v = *n.value<double>();
      check_real(v);
      return v;
    }
    case Type::string: {
      if (!n.is_string()) throw expected();
      std::string s = *n.value<std::string>();
      if (!k.choices.empty() && std::find(k.choices.begin(), k.choices.end(), s) == k.choices.end()) {
        std::string allowed;
        for (const auto& c : k.choices) allowed += (allowed.empty() ? "" : ", ") + c;
        std::string hint = did_you_mean(s, k.choices);
        throw fail("= " + quote(s) + " is not allowed; choose one of: " + allowed +
                   (hint.empty() ? "" : " (did you mean " + quote(hint) + "?)"));
      }
      return s;
    }
    case Type::real_list: {
      if (!n.is_array()) throw expected();
      std::vector<double> out;
      for (const auto& e : *n.as_array()) {
        if (!e.is_number()) throw fail("expects a list of reals, but an element is " + describe_node(e));
        out.push_back(*e.value<double>());
        check_real(out.back());
      }
      return out;
    }
    case Type::integer_list: {
      if (!n.is_array()) throw expected();
      std::vector<std::int64_t> out;
      for (const auto& e : *n.as_array()) {
        if (!e.is_integer()) throw fail("expects a list of integers, but an element is " + describe_node(e));
        out.push_back(*e.value<std::int64_t>());
        check_int(out.back());
      }
      return out;
    }
  }
  throw InternalError("unhandled config type");
}

// toml++ 3.3 (Debian 12) has inputs on which it reaches an assertion or an "unreachable" point, which with NDEBUG
// are optimiser assumptions: undefined behaviour on a user's typo (found by tests/fuzz). Its whitespace test reaches
// "unreachable" for many non-ASCII code points (U+00A1.., U+2C5E.., U+FB26..), and it runs that test on every
// character of a quoted key and after a backslash in a multi-line string. So toml++ is only ever given ASCII:
// this pass rewrites non-ASCII characters inside strings as \uXXXX escapes (a literal string that holds one becomes
// the equivalent basic string), drops comment bodies, strips a leading byte-order mark, and rejects what toml++
// cannot be trusted with: invalid UTF-8, non-ASCII outside strings and comments, a table header with no name, and
// a '}' where an array expects a value ("[}" or ",}", never valid TOML; toml++ asserts on it).
// Lines stay where they were, so toml++'s line numbers still point into the user's file.
std::string prescan(const std::string& text, const std::string& source) {
  int line = 1, depth = 0;
  bool line_start = true;
  char prev = '\n';  // the previous significant character outside strings and comments
  std::string out;
  out.reserve(text.size() + 16);
  auto fail = [&](const std::string& why) {
    throw ConfigError(source + ":" + std::to_string(line) + ": TOML syntax error: " + why);
  };
  // Decodes the UTF-8 sequence at text[i] (a byte >= 0x80) into an escape; advances i to its last byte.
  auto escape_utf8 = [&](std::size_t& i) {
    const auto b = [&](std::size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u; };
    const unsigned lead = b(i);
    int n = 0;
    std::uint32_t cp = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte (no overlongs, surrogates, > U+10FFFF)
    if (lead >= 0xC2 && lead <= 0xDF) n = 1, cp = lead & 0x1Fu;
    else if (lead >= 0xE0 && lead <= 0xEF) n = 2, cp = lead & 0x0Fu, lo = lead == 0xE0 ? 0xA0 : 0x80,
                                           hi = lead == 0xED ? 0x9F : 0xBF;
    else if (lead >= 0xF0 && lead <= 0xF4) n = 3, cp = lead & 0x07u, lo = lead == 0xF0 ? 0x90 : 0x80,
                                           hi = lead == 0xF4 ? 0x8F : 0xBF;
    else fail("invalid UTF-8 (save the deck as UTF-8 text)");
    for (int k = 1; k <= n; ++k) {
      const unsigned c = b(i + static_cast<std::size_t>(k));
      if (c < (k == 1 ? lo : 0x80u) || c > (k == 1 ? hi : 0xBFu)) fail("invalid UTF-8 (save the deck as UTF-8 text)");
      cp = (cp << 6) | (c & 0x3Fu);
    }
    i += static_cast<std::size_t>(n);
    char buf[16];
    std::snprintf(buf, sizeof buf, cp <= 0xFFFF ? "\\u%04X" : "\\U%08X", static_cast<unsigned>(cp));
    out += buf;
  };
  std::size_t i = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // byte-order mark
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line, line_start = true;
      out += c;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      out += c;
      continue;
    }
    const bool at_start = line_start;
    line_start = false;
    if (c == '#') {  // comment: keep the '#', drop the body (toml++ never sees its bytes)
      out += c;
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {  // strings: basic, literal, multi-line
      const bool multi = text.compare(i, 3, std::string(3, c)) == 0;
      const std::size_t q = multi ? 3 : 1;
      // Find the end first: a literal string holding non-ASCII is rewritten as a basic string.
      std::size_t j = i + q, close = std::string::npos;
      bool non_ascii = false;
      for (; j < text.size(); ++j) {
        if (text[j] == '\n' && !multi) break;
        if (static_cast<unsigned char>(text[j]) >= 0x80) non_ascii = true;
        if (c == '"' && text[j] == '\\') {
          ++j;
          continue;
        }
        if (text.compare(j, q, std::string(q, c)) == 0) {
          std::size_t run = q;  // a multi-line string may end in up to two quotes of its own before the delimiter
          if (multi)
            while (j + run < text.size() && text[j + run] == c && run < 5) ++run;
          close = j + run - q;
          break;
        }
      }
      const bool to_basic = c == '\'' && non_ascii;
      out.append(q, to_basic ? '"' : c);
      const std::size_t stop = close == std::string::npos ? j : close;
      for (std::size_t k = i + q; k < stop && k < text.size(); ++k) {
        const char x = text[k];
        if (x == '\n') ++line;
        if (static_cast<unsigned char>(x) >= 0x80) {
          escape_utf8(k);
        } else if (c == '"' && x == '\\') {
          out += x;
          if (k + 1 < text.size()) {
            if (static_cast<unsigned char>(text[k + 1]) >= 0x80)
              fail("a backslash in a string must be followed by an escape letter (\\n \\t \\\\ \\\" \\uXXXX) "
                   "or end the line");
            if (text[k + 1] == '\n') ++line;
            out += text[++k];
          }
        } else if (to_basic && (x == '\\' || x == '"')) {
          out += '\\';
          out += x;
        } else {
          out += x;
        }
      }
      if (close == std::string::npos) {  // unterminated: let toml++ report it
        i = stop - 1;
        continue;
      }
      out.append(q, to_basic ? '"' : c);
      i = close + q - 1;
      prev = c;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80)
      fail("a non-ASCII character outside a string or comment (put it in quotes or in a # comment)");
    if (c == '[' && at_start && depth == 0) {  // table header
      std::size_t j = i + 1;
      if (j < text.size() && text[j] == '[') ++j;
      while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
      // The header: dotted bare keys (A-Z a-z 0-9 _ -), or anything that starts with a quote.
      auto bare = [](char x) { return std::isalnum(static_cast<unsigned char>(x)) || x == '_' || x == '-'; };
      if (j >= text.size() || !(bare(text[j]) || text[j] == '"' || text[j] == '\''))
        fail("a table header must start with a name: [section]");
      bool expect_key = true;
      for (; j < text.size() && text[j] != ']' && text[j] != '\n' && text[j] != '"' && text[j] != '\''; ++j) {
        if (text[j] == ' ' || text[j] == '\t') continue;
        if (text[j] == '.' && !expect_key) {
          expect_key = true;
        } else if (bare(text[j]) && expect_key) {
          while (j + 1 < text.size() && bare(text[j + 1])) ++j;
          expect_key = false;
        } else {
          fail("a table header may only hold names made of A-Z a-z 0-9 _ - joined by dots: [section]");
        }
      }
      if (j < text.size() && text[j] != '"' && text[j] != '\'' && expect_key)
        fail("a table header ends with a dot or has no name: [section]");
      out.append(text, i, j - i);
      i = j - 1;
      prev = '[';
      continue;
    }
    if (c == '}' && (prev == '[' || prev == ','))
      fail(std::string("'}' where a value is expected after '") + prev + "' (unbalanced brackets?)");
    prev = c;
    if (c == '[') ++depth;
    if (c == ']' && depth > 0) --depth;
    out += c;
  }
  return out;
}

std::string where_of(const toml::node& n, const std::string& source) {
  const auto& src = n.source();
  if (src.begin.line == 0) return source;
  return source + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

std::vector<std::string> names_of(const Schema& s) {
  std::vector<std::string> out;
  for (const auto& k : s.keys()) out.push_back(k.name);
  return out;
}

void collect_leaves(const toml::table& t, const std::string& prefix,
                    std::vector<std::pair<std::string, const toml::node*>>& out) {
  for (const auto& [key, node] : t) {
    const std::string name = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* sub = node.as_table()) collect_leaves(*sub, name, out);
    else out.emplace_back(name, &node);
  }
}

}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  };
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    std::size_t d = distance(word, c);
    // Also compare the last component alone (a key put in the wrong section).
    const auto dot_w = word.rfind('.'), dot_c = c.rfind('.');
    if (dot_w != std::string::npos && dot_c != std::string::npos && word.substr(dot_w) == c.substr(dot_c)) d = 1;
    if (d < best_d) best_d = d, best = c;
  }
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  return best_d <= limit ? best : std::string();
}

Schema& Schema::add(Key key) {
  SAMPO_VERIFY(find(key.name) == nullptr, "config key declared twice: " + key.name);
  keys_.push_back(std::move(key));
  return *this;
}
Schema& Schema::boolean(const std::string& name, bool def, const std::string& doc) {
  return add({name, Type::boolean, def, doc, {}, {}, {}, false});
}
Schema& Schema::integer(const std::string& name, std::int64_t def, const std::string& doc, std::optional<double> min,
                        std::optional<double> max) {
  return add({name, Type::integer, def, doc, min, max, {}, false});
}
Schema& Schema::real(const std::string& name, double def, const std::string& doc, std::optional<double> min,
                     std::optional<double> max) {
  return add({name, Type::real, def, doc, min, max, {}, false});
}
Schema& Schema::string(const std::string& name, const std::string& def, const std::string& doc,
                       std::vector<std::string> choices) {
  return add({name, Type::string, def, doc, {}, {}, std::move(choices), false});
}
Schema& Schema::real_list(const std::string& name, std::vector<double> def, const std::string& doc,
                          std::optional<double> min, std::optional<double> max) {
  return add({name, Type::real_list, std::move(def), doc, min, max, {}, false});
}
Schema& Schema::integer_list(const std::string& name, std::vector<std::int64_t> def, const std::string& doc,
                             std::optional<double> min, std::optional<double> max) {
  return add({name, Type::integer_list, std::move(def), doc, min, max, {}, false});
}
Schema& Schema::merge(const Schema& other) {
  for (const auto& k : other.keys_) add(k);
  return *this;
}

const Key* Schema::find(const std::string& name) const {
  for (const auto& k : keys_)
    if (k.name == name) return &k;
  return nullptr;
}

std::string Schema::help() const {
  std::map<std::string, std::vector<const Key*>> sections;
  for (const auto& k : keys_) {
    const auto dot = k.name.rfind('.');
    sections[dot == std::string::npos ? std::string() : k.name.substr(0, dot)].push_back(&k);
  }
  std::ostringstream os;
  for (const auto& [section, keys] : sections) {
    os << "  [" << section << "]\n";
    for (const Key* k : keys) {
      const auto dot = k->name.rfind('.');
      os << "    " << k->name.substr(dot == std::string::npos ? 0 : dot + 1) << " = "
         << (k->required ? std::string("<required>") : format_value(k->default_value)) << "  (" << to_string(k->type);
      if (auto r = range_text(*k); !r.empty()) os << "; " << r;
      if (!k->choices.empty()) {
        os << "; one of:";
        for (const auto& c : k->choices) os << " " << c;
      }
      os << ")\n        " << k->doc << "\n";
    }
  }
  return os.str();
}

Config Config::parse(const Schema& schema, const std::string& text, const std::string& source,
                     const std::vector<std::string>& overrides) {
  Config c;
  c.schema_ = schema;
  c.source_ = source;
  c.values_.clear();
  for (const auto& k : schema.keys()) c.values_.push_back(k.default_value);
  c.given_.assign(schema.keys().size(), false);
  const auto names = names_of(schema);

  auto index_of = [&](const std::string& name) -> std::ptrdiff_t {
    for (std::size_t i = 0; i < schema.keys().size(); ++i)
      if (schema.keys()[i].name == name) return static_cast<std::ptrdiff_t>(i);
    return -1;
  };
  auto unknown = [&](const std::string& name, const std::string& where) {
    const std::string hint = did_you_mean(name, names);
    return ConfigError(where + ": unknown key '" + name + "'" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                       " (run with --help to list every key)");
  };

  toml::table table;
  const std::string ascii = prescan(text, source);
  try {
    table = toml::parse(ascii, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ConfigError(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                      ": TOML syntax error: " + std::string(e.description()));
  }
  std::vector<std::pair<std::string, const toml::node*>> leaves;
  collect_leaves(table, "", leaves);
  for (const auto& [name, node] : leaves) {
    const auto i = index_of(name);
    const std::string where = where_of(*node, source);
    if (i < 0) throw unknown(name, where);
    c.values_[static_cast<std::size_t>(i)] = convert(schema.keys()[static_cast<std::size_t>(i)], *node, where);
    c.given_[static_cast<std::size_t>(i)] = true;
  }

  for (const auto& ov : overrides) {
    const auto eq = ov.find('=');
    const std::string where = "command-line override '" + ov + "'";
    if (eq == std::string::npos || eq == 0)
      throw ConfigError(where + ": expected section.key=value (for example run.seed=7)");
    const std::string name = ov.substr(0, eq);
    std::string raw = ov.substr(eq + 1);
    const auto i = index_of(name);
    if (i < 0) throw unknown(name, where);
    const Key& k = schema.keys()[static_cast<std::size_t>(i)];
    // Strings may be given bare on the command line.
    if (k.type == Type::string && (raw.empty() || raw.front() != '"')) raw = quote(raw);
    toml::table t;
    try {
      t = toml::parse(prescan("v = " + raw, where));
    } catch (const toml::parse_error& e) {
      throw ConfigError(where + ": cannot read '" + ov.substr(eq + 1) + "' as a " + to_string(k.type) + " (" +
                        std::string(e.description()) + ")");
    }
    c.values_[static_cast<std::size_t>(i)] = convert(k, *t.get("v"), where);
    c.given_[static_cast<std::size_t>(i)] = true;
  }

  for (std::size_t i = 0; i < schema.keys().size(); ++i) {
    const Key& k = schema.keys()[i];
    if (k.required && !c.given_[i])
      throw ConfigError(source + ": missing required key '" + k.name + "' (" + k.doc + ")");
  }
  return c;
}

Config Config::load(const mpi::Communicator& comm, const Schema& schema, const std::string& deck_path,
                    const std::vector<std::string>& overrides) {
  std::string text;
  mpi::all_or_throw(comm, [&] {
    if (!comm.is_root()) return;
    std::ifstream in(deck_path, std::ios::binary);
    if (!in) throw InputError("cannot read deck '" + deck_path + "': no such file or not readable (check the path)");
    std::ostringstream os;
    os << in.rdbuf();
    text = os.str();
  });
  text = comm.broadcast_string(text);
  Config c;
  mpi::all_or_throw(comm, [&] { c = parse(schema, text, deck_path, overrides); });
  return c;
}

const Value& Config::value(const std::string& name, Type expected) const {
  for (std::size_t i = 0; i < schema_.keys().size(); ++i) {
    if (schema_.keys()[i].name == name) {
      SAMPO_VERIFY(schema_.keys()[i].type == expected,
                   "config key '" + name + "' read as " + to_string(expected) + " but declared " +
                       to_string(schema_.keys()[i].type));
      return values_[i];
    }
  }
  throw InternalError("config key '" + name + "' read but never declared in the schema");
}

bool Config::get_bool(const std::string& name) const { return std::get<bool>(value(name, Type::boolean)); }
std::int64_t Config::get_int(const std::string& name) const {
  return std::get<std::int64_t>(value(name, Type::integer));
}
double Config::get_real(const std::string& name) const { return std::get<double>(value(name, Type::real)); }
const std::string& Config::get_string(const std::string& name) const {
  return std::get<std::string>(value(name, Type::string));
}
const std::vector<double>& Config::get_real_list(const std::string& name) const {
  return std::get<std::vector<double>>(value(name, Type::real_list));
}
const std::vector<std::int64_t>& Config::get_int_list(const std::string& name) const {
  return std::get<std::vector<std::int64_t>>(value(name, Type::integer_list));
}
bool Config::given(const std::string& name) const {
  for (std::size_t i = 0; i < schema_.keys().size(); ++i)
    if (schema_.keys()[i].name == name) return given_[i];
  throw InternalError("config key '" + name + "' asked for but never declared");
}

std::string Config::to_toml() const {
  // Group by table (everything before the last dot), in schema order of first appearance.
  std::vector<std::string> tables;
  std::map<std::string, std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < schema_.keys().size(); ++i) {
    const auto& name = schema_.keys()[i].name;
    const auto dot = name.rfind('.');
    const std::string t = dot == std::string::npos ? "" : name.substr(0, dot);
    if (!members.count(t)) tables.push_back(t);
    members[t].push_back(i);
  }
  std::stable_sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) { return a.empty() && !b.empty(); });
  std::ostringstream os;
  for (const auto& t : tables) {
    if (!t.empty()) os << (os.tellp() > 0 ? "\n" : "") << "[" << t << "]\n";
    for (auto i : members[t]) {
      const auto& name = schema_.keys()[i].name;
      const auto dot = name.rfind('.');
      os << name.substr(dot == std::string::npos ? 0 : dot + 1) << " = " << format_value(values_[i]) << "\n";
    }
  }
  return os.str();
}

}  // namespace sampo::config
