#pragma once
// Typed input decks.
//
// Each module declares its keys once in a Schema (name "section.key", type, default, allowed range or choices,
// one-line doc). A Config is a deck validated against a schema: unknown keys are rejected with a did-you-mean,
// wrong types and out-of-range values name the key, the value, what is allowed and where it came from.
// `section.key=value` overrides from the command line are applied after the deck. The resolved deck (every key,
// defaults filled in) serialises back to TOML, for logs and for provenance in every output file.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/mpi/communicator.hpp"

namespace sampo::config {

enum class Type { boolean, integer, real, string, real_list, integer_list };
std::string to_string(Type t);

using Value = std::variant<bool, std::int64_t, double, std::string, std::vector<double>, std::vector<std::int64_t>>;

struct Key {
  std::string name;  // dotted path, e.g. "grid.points"
  Type type = Type::real;
  Value default_value;
  std::string doc;
  std::optional<double> min;          // inclusive bounds; for lists they apply to each element
  std::optional<double> max;
  std::vector<std::string> choices;   // allowed values of a string key (empty: any)
  bool required = false;              // no default: the deck must give it
};

class Schema {
 public:
  Schema& add(Key key);
  Schema& boolean(const std::string& name, bool def, const std::string& doc);
  Schema& integer(const std::string& name, std::int64_t def, const std::string& doc,
                  std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt);
  Schema& real(const std::string& name, double def, const std::string& doc,
               std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt);
  Schema& string(const std::string& name, const std::string& def, const std::string& doc,
                 std::vector<std::string> choices = {});
  Schema& real_list(const std::string& name, std::vector<double> def, const std::string& doc,
                    std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt);
  Schema& integer_list(const std::string& name, std::vector<std::int64_t> def, const std::string& doc,
                       std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt);
  Schema& merge(const Schema& other);

  [[nodiscard]] const Key* find(const std::string& name) const;
  [[nodiscard]] const std::vector<Key>& keys() const noexcept { return keys_; }
  // Every key grouped by section with type, default, range and doc: the deck part of `--help`.
  [[nodiscard]] std::string help() const;

 private:
  std::vector<Key> keys_;
};

class Config {
 public:
  // Collective: rank 0 reads the deck file; every rank validates the same text and overrides, so the result is
  // identical everywhere. A bad deck throws one collective ConfigError (or InputError for an unreadable file).
  static Config load(const mpi::Communicator& comm, const Schema& schema, const std::string& deck_path,
                     const std::vector<std::string>& overrides);
  // Serial: validate deck text (source names it in messages) plus overrides.
  static Config parse(const Schema& schema, const std::string& text, const std::string& source,
                      const std::vector<std::string>& overrides = {});

  [[nodiscard]] bool get_bool(const std::string& name) const;
  [[nodiscard]] std::int64_t get_int(const std::string& name) const;
  [[nodiscard]] double get_real(const std::string& name) const;
  [[nodiscard]] const std::string& get_string(const std::string& name) const;
  [[nodiscard]] const std::vector<double>& get_real_list(const std::string& name) const;
  [[nodiscard]] const std::vector<std::int64_t>& get_int_list(const std::string& name) const;
  // True when the deck or an override gave the key (false: the default is in use).
  [[nodiscard]] bool given(const std::string& name) const;

  // Resolved deck as TOML text: every key of the schema, grouped in tables.
  [[nodiscard]] std::string to_toml() const;
  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  [[nodiscard]] const Schema& schema() const noexcept { return schema_; }

 private:
  const Value& value(const std::string& name, Type expected) const;
  Schema schema_;
  std::vector<Value> values_;  // parallel to schema_.keys()
  std::vector<bool> given_;
  std::string source_;
};

// The closest of `candidates` to `word` when it is near enough to be a likely typo (empty otherwise).
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace sampo::config
