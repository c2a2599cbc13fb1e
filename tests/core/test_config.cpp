// Deck parsing and validation: every user mistake gives the expected message.
#include <gtest/gtest.h>

#include "core/config/config.hpp"
#include "core/error/error.hpp"

using sampo::ConfigError;
using sampo::config::Config;
using sampo::config::Schema;

namespace {

Schema schema() {
  Schema s;
  s.integer("grid.points", 512, "number of grid points", 2, 1e12);
  s.real("grid.length", 50.0, "box length", 1e-9, 1e9);
  s.boolean("run.verbose_output", false, "more output");
  s.string("time.method", "ip-dop853", "integrator", {"dop853", "ip-dop853", "rk4ip"});
  s.real_list("model.coefficients", {1.0, 2.0}, "coefficients");
  s.integer_list("model.shape", {3, 4}, "shape", 1, 100);
  s.string("run.name", "x", "a name");
  return s;
}

std::string error_of(const std::string& text, const std::vector<std::string>& ov = {}) {
  try {
    (void)Config::parse(schema(), text, "deck.toml", ov);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, DefaultsAndValues) {
  auto c = Config::parse(schema(), "[grid]\npoints = 1024\nlength = 100\n", "deck.toml");
  EXPECT_EQ(c.get_int("grid.points"), 1024);
  EXPECT_DOUBLE_EQ(c.get_real("grid.length"), 100.0);  // integer accepted for a real key
  EXPECT_EQ(c.get_string("time.method"), "ip-dop853");
  EXPECT_TRUE(c.given("grid.points"));
  EXPECT_FALSE(c.given("time.method"));
  EXPECT_EQ(c.get_real_list("model.coefficients"), (std::vector<double>{1.0, 2.0}));
}

TEST(Config, UnknownKeyWithDidYouMean) {
  const auto e = error_of("[grid]\npoinst = 3\n");
  EXPECT_NE(e.find("deck.toml:2:1"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'grid.poinst'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'grid.points'"), std::string::npos) << e;
}

TEST(Config, KeyInWrongSectionSuggestsTheRightOne) {
  const auto e = error_of("[time]\npoints = 3\n");
  EXPECT_NE(e.find("did you mean 'grid.points'"), std::string::npos) << e;
}

TEST(Config, UnknownSection) {
  const auto e = error_of("[gird]\npoints = 3\n");
  EXPECT_NE(e.find("unknown key 'gird.points'"), std::string::npos) << e;
  EXPECT_NE(e.find("grid.points"), std::string::npos) << e;
}

TEST(Config, WrongType) {
  const auto e = error_of("[grid]\npoints = \"many\"\n");
  EXPECT_NE(e.find("deck.toml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("'grid.points' expects a integer, got string \"many\""), std::string::npos) << e;
  EXPECT_NE(error_of("[grid]\npoints = 2.5\n").find("expects a integer, got real 2.5"), std::string::npos);
  EXPECT_NE(error_of("[run]\nverbose_output = 1\n").find("expects a boolean"), std::string::npos);
  EXPECT_NE(error_of("[model]\ncoefficients = [1.0, \"a\"]\n").find("an element is string"), std::string::npos);
}

TEST(Config, OutOfRange) {
  const auto e = error_of("[grid]\npoints = 1\n");
  EXPECT_NE(e.find("'grid.points' = 1 is out of range; allowed: 2 <= value <= 1000000000000"), std::string::npos)
      << e;
  EXPECT_NE(error_of("[model]\nshape = [3, 0]\n").find("= 0 is out of range"), std::string::npos);
}

TEST(Config, NonFiniteRejected) {
  EXPECT_NE(error_of("[grid]\nlength = nan\n").find("must be finite, got nan"), std::string::npos);
  EXPECT_NE(error_of("[grid]\nlength = inf\n").find("must be finite, got inf"), std::string::npos);
}

TEST(Config, ChoicesWithSuggestion) {
  const auto e = error_of("[time]\nmethod = \"dop835\"\n");
  EXPECT_NE(e.find("is not allowed; choose one of: dop853, ip-dop853, rk4ip"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean \"dop853\""), std::string::npos) << e;
}

TEST(Config, SyntaxErrorNamesLine) {
  const auto e = error_of("[grid]\npoints = = 3\n");
  EXPECT_NE(e.find("deck.toml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("TOML syntax error"), std::string::npos) << e;
}

TEST(Config, TomlParserInternalCheckIsASyntaxError) {
  // Found by tests/fuzz: toml++ 3.3 asserts on an empty table header followed by a newline.
  const auto e = error_of("[a]\nx = 1\n\n[\n\n[grid]\npoints = 4\n");
  EXPECT_NE(e.find("deck.toml:4: TOML syntax error: a table header must start with a name"), std::string::npos) << e;
  EXPECT_NE(error_of("[$un]\nx = 1\n").find("deck.toml:1: TOML syntax error"), std::string::npos);
  EXPECT_NE(error_of("[a.$]\nx = 1\n").find("deck.toml:1: TOML syntax error"), std::string::npos);
  EXPECT_NE(error_of("[a.]\nx = 1\n").find("deck.toml:1: TOML syntax error"), std::string::npos);
  // ... and on a '}' where an array expects a value.
  EXPECT_NE(error_of("[model]\ncoefficients = [[[}}\n").find("deck.toml:2: TOML syntax error: '}' where a value"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\ncoefficients = [1,\n # c\n }\n").find("deck.toml:4: TOML syntax error"),
            std::string::npos);
  // ... and toml++ reaches an "unreachable" point on some non-ASCII whitespace: rejected before parsing.
  const auto u = error_of("[grid]\npoints =\xe3\x80\x80 4\n");
  EXPECT_NE(u.find("deck.toml:2: TOML syntax error: a non-ASCII character"), std::string::npos) << u;
  // Non-ASCII in comments and strings, and nested arrays opened on their own line, stay valid.
  auto c = Config::parse(schema(), "# \xcf\x81 = 0.9\n[run]\nname = \"\xcf\x83\" # \xcf\x83\n[model]\ncoefficients = [\n  1.0,\n  2.0,\n]\n",
                         "deck.toml");
  EXPECT_EQ(c.get_string("run.name"), "\xcf\x83");
}

TEST(Config, NonAsciiStringsReachTheParserAsEscapes) {
  // toml++ 3.3 reaches "unreachable" on a quoted key or after a backslash holding U+00A1.., U+2C5E.. or U+FB26..
  // (CI's fuzzer found one): the prescan rewrites them as \u escapes, so the values still arrive intact.
  const std::string e_acute = "\xc3\xa9", ideo_comma = "\xe3\x80\x81", hebrew = "\xef\xac\xb0", emoji = "\xf0\x9f\x99\x82";
  const std::string all = e_acute + ideo_comma + hebrew + emoji;
  auto name = [&](const std::string& deck) { return Config::parse(schema(), deck, "deck.toml").get_string("run.name"); };
  EXPECT_EQ(name("[run]\nname = \"M" + all + "\"\n"), "M" + all);
  EXPECT_EQ(name("[run]\nname = 'a\\b\"" + all + "'\n"), "a\\b\"" + all);  // literal: backslash and quote kept
  EXPECT_EQ(name("[run]\nname = '''\nx''" + all + "'''''\n"), "x''" + all + "''");  // multi-line literal, end quotes
  EXPECT_EQ(name("[run]\nname = \"\"\"a\\\n   " + all + "\"\"\"\n"), "a" + all);  // line-ending backslash
  EXPECT_EQ(name("\xef\xbb\xbf[run]\nname = \"" + e_acute + "\"\n"), e_acute);  // byte-order mark
  EXPECT_EQ(name("[run]\nname = 'x' # " + hebrew + "\n"), "x");
  // A quoted key with such characters is an unknown key, named with its characters, on the right line (columns
  // after an escaped character on the same line count the escape's letters).
  const auto k = error_of("[run]\n\n\"" + e_acute + ideo_comma + "\" = 1\n");
  EXPECT_EQ(k.rfind("deck.toml:3:", 0), 0u) << k;
  EXPECT_NE(k.find(": unknown key 'run." + e_acute + ideo_comma + "'"), std::string::npos) << k;
  // A backslash followed by a non-ASCII character, and bytes that are not UTF-8, are syntax errors.
  EXPECT_NE(error_of("[run]\nname = \"\"\"\\" + hebrew + "\"\"\"\n").find("deck.toml:2: TOML syntax error: a backslash"),
            std::string::npos);
  EXPECT_NE(error_of("[run]\nname = \"\xc3(\"\n").find("deck.toml:2: TOML syntax error: invalid UTF-8"), std::string::npos);
  EXPECT_NE(error_of("[run]\nname = \"\xed\xa0\x80\"\n").find("invalid UTF-8"), std::string::npos);  // surrogate
  EXPECT_NE(error_of("[run]\nname = \"\xc0\xaf\"\n").find("invalid UTF-8"), std::string::npos);      // overlong
  // Overrides go through the same pass.
  auto c = Config::parse(schema(), "", "deck.toml", {"run.name=" + all});
  EXPECT_EQ(c.get_string("run.name"), all);
}

TEST(Config, Overrides) {
  auto c = Config::parse(schema(), "[grid]\npoints = 1024\n", "deck.toml",
                         {"grid.points=2048", "time.method=rk4ip", "model.coefficients=[3, 4.5]", "run.name=a b"});
  EXPECT_EQ(c.get_int("grid.points"), 2048);
  EXPECT_EQ(c.get_string("time.method"), "rk4ip");
  EXPECT_EQ(c.get_real_list("model.coefficients"), (std::vector<double>{3.0, 4.5}));
  EXPECT_EQ(c.get_string("run.name"), "a b");
  EXPECT_NE(error_of("", {"grid.points=abc"}).find("command-line override 'grid.points=abc'"), std::string::npos);
  EXPECT_NE(error_of("", {"grid.pionts=3"}).find("did you mean 'grid.points'"), std::string::npos);
  EXPECT_NE(error_of("", {"gridpoints"}).find("expected section.key=value"), std::string::npos);
  EXPECT_NE(error_of("", {"grid.points=0"}).find("out of range"), std::string::npos);
}

TEST(Config, RequiredKey) {
  Schema s;
  s.add({"data.file", sampo::config::Type::string, std::string(), "observations", {}, {}, {}, true});
  try {
    (void)Config::parse(s, "", "deck.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("missing required key 'data.file'"), std::string::npos);
  }
}

TEST(Config, ResolvedDeckRoundTrips) {
  auto c = Config::parse(schema(), "[grid]\npoints = 1024\nlength = 0.1\n[run]\nname = \"q\\\"uote\"\n", "d.toml");
  const auto text = c.to_toml();
  auto c2 = Config::parse(schema(), text, "resolved");
  EXPECT_EQ(text, c2.to_toml());
  EXPECT_DOUBLE_EQ(c2.get_real("grid.length"), 0.1);
  EXPECT_EQ(c2.get_string("run.name"), "q\"uote");
  EXPECT_NE(text.find("[grid]\npoints = 1024\nlength = 0.1\n"), std::string::npos) << text;
}

TEST(Config, HelpListsEveryKey) {
  const auto s = schema();
  const auto h = s.help();
  for (const auto& k : s.keys()) {
    const auto leaf = k.name.substr(k.name.rfind('.') + 1);
    EXPECT_NE(h.find(leaf + " = "), std::string::npos) << leaf;
    EXPECT_NE(h.find(k.doc), std::string::npos) << k.doc;
  }
  EXPECT_NE(h.find("2 <= value <= 1000000000000"), std::string::npos);
}

TEST(Config, DidYouMeanOnlyWhenClose) {
  EXPECT_EQ(sampo::config::did_you_mean("grid.pointz", {"grid.points", "time.step"}), "grid.points");
  EXPECT_EQ(sampo::config::did_you_mean("zzzzzzzzz", {"grid.points", "time.step"}), "");
}
