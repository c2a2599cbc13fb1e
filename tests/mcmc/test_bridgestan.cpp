// The BridgeStan-ABI plugin: the example model library (inputs/mcmc/models/eight_schools_bs.cpp, built by this
// directory's CMake) loads, names its variables, and gives bitwise the built-in non-centred eight schools' log
// density, gradient and constrained values (same arithmetic); its gradient matches finite differences; loading
// failures are input errors that say what is wrong.
#include <gtest/gtest.h>

#include <string>

#include "core/error/error.hpp"
#include "mcmc/bridgestan.hpp"

namespace sampo::mcmc {
namespace {

const std::string lib = SAMPO_EXAMPLE_MODEL;  // path of the built example library
const std::string data_file = std::string(SAMPO_SOURCE_DIR) + "/inputs/mcmc/models/eight_schools.json";

std::string error_of(const std::string& library, const std::string& data) {
  try {
    BridgeStanTarget t(library, data, 1);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(BridgeStan, ExampleModelEqualsTheBuiltIn) {
  BridgeStanTarget t(lib, data_file, 1);
  EightSchools ref(false);
  EXPECT_EQ(t.name(), "eight_schools_noncentred_bs");
  EXPECT_TRUE(t.thread_safe());
  ASSERT_EQ(t.dim(), ref.dim());
  const auto vars = t.variables();
  ASSERT_EQ(vars.size(), 4u);
  EXPECT_EQ(vars[0].name, "mu");
  EXPECT_EQ(vars[1].name, "tau");
  EXPECT_EQ(vars[2].name, "theta_tilde");
  EXPECT_EQ(vars[3].name, "theta");
  EXPECT_EQ(vars[3].shape, std::vector<int>{8});
  EXPECT_EQ(t.param_names(), ref.param_names());
  rng::Stream s(3, rng::purpose_test, 0);
  for (int k = 0; k < 20; ++k) {
    const Vec q = ref.initial_point(s) * 1.5;
    Vec g1, g2;
    const double a = t.log_density_gradient(q, g1), b = ref.log_density_gradient(q, g2);
    EXPECT_EQ(a, b);
    EXPECT_EQ(g1, g2);
    EXPECT_EQ(t.constrain(q), ref.constrain(q));
    // Finite differences (central, h = 1e-6): the plugin's gradient is its own log density's.
    for (int i = 0; i < t.dim(); ++i) {
      Vec up = q, dn = q;
      up[i] += 1e-6, dn[i] -= 1e-6;
      EXPECT_NEAR(g1[i], (t.log_density(up) - t.log_density(dn)) / 2e-6, 1e-5 * (1 + std::abs(g1[i])));
    }
  }
  // The data can also be a JSON string.
  BridgeStanTarget t2(lib, R"({"J": 2, "y": [1, 2], "sigma": [1, 3]})", 1);
  EXPECT_EQ(t2.dim(), 4);
}

TEST(BridgeStan, LoadingFailuresSayWhatIsWrong) {
  const auto missing = error_of("/no/such/libmodel.so", "");
  EXPECT_NE(missing.find("cannot load the model library"), std::string::npos) << missing;
  const auto not_bs = error_of("libz.so.1", "");
  EXPECT_NE(not_bs.find("is not a BridgeStan >= 2.0 model library"), std::string::npos) << not_bs;
  EXPECT_NE(not_bs.find("bs_model_construct"), std::string::npos) << not_bs;
  const auto no_data = error_of(lib, "");
  EXPECT_NE(no_data.find("the model rejected its data (none given): the model needs data"), std::string::npos) << no_data;
  const auto bad = error_of(lib, R"({"J": 3, "y": [1, 2], "sigma": [1, 1, 1]})");
  EXPECT_NE(bad.find("y and sigma must both have J >= 1 entries"), std::string::npos) << bad;
}

}  // namespace
}  // namespace sampo::mcmc
