#include "mcmc/output.hpp"

#include <algorithm>

namespace sampo::mcmc {

using io::detail::check;
using io::detail::check_id;

std::vector<double> pack_stats(std::span<const DrawStats> st) {
  std::vector<double> v;
  v.reserve(st.size() * n_stats);
  for (const auto& s : st)
    v.insert(v.end(), {s.lp, s.accept, s.step_size, s.energy, static_cast<double>(s.tree_depth),
                       static_cast<double>(s.n_steps), s.divergent ? 1.0 : 0.0, s.warmup ? 1.0 : 0.0});
  return v;
}

namespace {

// Collective: a dataset of `dims` (the draw axis `axis` starts at 0) unlimited along `axis`, chunked by about
// 1 MiB (at most 256 draws, one chain per chunk), with a "description" attribute when `desc` is not empty.
io::Handle create_extendable(const io::Group& g, const std::string& name, hid_t type, std::vector<hsize_t> dims,
                             std::size_t axis, const std::string& desc) {
  std::vector<hsize_t> maxd = dims, chunk = dims;
  maxd[axis] = H5S_UNLIMITED;
  hsize_t row = 1;
  for (std::size_t i = axis + 1; i < dims.size(); ++i) row *= std::max<hsize_t>(dims[i], 1);
  for (std::size_t i = 0; i < axis; ++i) chunk[i] = 1;
  chunk[axis] = std::clamp<hsize_t>((hsize_t{1} << 17) / row, 1, 256);
  for (std::size_t i = axis + 1; i < dims.size(); ++i) chunk[i] = std::max<hsize_t>(dims[i], 1);
  io::Handle space(check_id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxd.data()),
                            "creating a dataspace for " + g.where(name)),
                   H5Sclose);
  io::Handle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), "creating dataset properties"), H5Pclose);
  check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), "setting chunks of " + g.where(name));
  check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "setting fill time");
  io::Handle d(check_id(H5Dcreate2(g.id(), name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                        "creating dataset " + g.where(name)),
               H5Dclose);
  if (!desc.empty()) g.set_attr("description", desc, name);
  return d;
}

// Collective: sets the extent of `d` to `extent` and writes `buf` (this rank's block [off, off + cnt); cnt may
// be all zero on some ranks) with collective I/O.
template <class T>
void extend_and_write(hid_t d, const std::string& where, const std::vector<std::uint64_t>& extent,
                      const std::vector<std::uint64_t>& off, const std::vector<std::uint64_t>& cnt,
                      const std::vector<T>& buf) {
  const std::vector<hsize_t> e(extent.begin(), extent.end());
  check(H5Dset_extent(d, e.data()), "extending " + where);
  auto [fs, ms] = io::detail::select(d, off, cnt);
  auto type = io::h5type<T>();
  auto x = io::detail::collective_xfer();
  const T dummy{};
  check(H5Dwrite(d, type.get(), ms.get(), fs.get(), x.get(), buf.empty() ? &dummy : buf.data()),
        "appending draws to " + where);
}

const char* const stat_names[] = {"lp", "acceptance_rate", "step_size", "energy", "tree_depth", "n_steps",
                                  "diverging"};
const char* const stat_desc[] = {"log density (unconstrained, with Jacobian)",
                                 "mean Metropolis acceptance of the transition",
                                 "step size",
                                 "Hamiltonian at the draw",
                                 "NUTS tree depth",
                                 "leapfrog steps (gradient evaluations)",
                                 "divergent transition"};

}  // namespace

DrawGroups::DrawGroups(const io::Group& root, const Target& target, std::uint64_t chains, bool warmup_groups)
    : vars_(target.variables()), cd_(target.constrained_dim()), chains_(chains) {
  int o = 0;
  for (const auto& v : vars_) {
    offset_.push_back(o);
    o += v.size();
  }
  sets_.resize(warmup_groups ? 2 : 1);
  create(sets_[0], root, "");
  if (warmup_groups) create(sets_[1], root, "warmup_");
}

void DrawGroups::create(Set& s, const io::Group& root, const std::string& prefix) {
  auto dims = [&](const io::Group& g) -> io::Handle {
    std::vector<std::int64_t> c(chains_);
    for (std::uint64_t i = 0; i < chains_; ++i) c[i] = static_cast<std::int64_t>(i);
    g.write_replicated<std::int64_t>("chain", c);
    auto t = io::h5type<std::int64_t>();
    auto d = create_extendable(g, "draw", t.get(), {0}, 0, "");
    io::make_dimension_scale(g, "chain", "chain");
    io::make_dimension_scale(g, "draw", "draw");
    return d;
  };
  auto attach_cd = [](const io::Group& g, const std::string& name) {
    io::attach_dimension_scale(g, name, "chain", 0);
    io::attach_dimension_scale(g, name, "draw", 1);
  };
  s.post = root.create_group(prefix + "posterior");
  s.post_draw = dims(s.post);
  auto f64 = io::h5type<double>(), i64 = io::h5type<std::int64_t>(), i8 = io::h5type<std::int8_t>();
  for (const auto& v : vars_) {
    std::vector<hsize_t> shape = {chains_, 0};
    for (std::size_t k = 0; k < v.shape.size(); ++k) {
      const std::string dim = v.name + "_dim_" + std::to_string(k);
      std::vector<std::int64_t> idx(static_cast<std::size_t>(v.shape[k]));
      for (std::size_t j = 0; j < idx.size(); ++j) idx[j] = static_cast<std::int64_t>(j);
      s.post.write_replicated<std::int64_t>(dim, idx);
      io::make_dimension_scale(s.post, dim, dim);
      shape.push_back(static_cast<hsize_t>(v.shape[k]));
    }
    s.vars.push_back(create_extendable(s.post, v.name, f64.get(), shape, 1, "posterior draws (constrained)"));
    attach_cd(s.post, v.name);
    for (std::size_t k = 0; k < v.shape.size(); ++k)
      io::attach_dimension_scale(s.post, v.name, v.name + "_dim_" + std::to_string(k), static_cast<unsigned>(2 + k));
  }
  s.stats = root.create_group(prefix + "sample_stats");
  s.stats_draw = dims(s.stats);
  for (int j = 0; j < 7; ++j) {
    const hid_t t = j < 4 ? f64.get() : j < 6 ? i64.get() : i8.get();
    s.stat.push_back(create_extendable(s.stats, stat_names[j], t, {chains_, 0}, 1, stat_desc[j]));
    attach_cd(s.stats, stat_names[j]);
  }
  s.stats.set_attr("dtype", "bool", "diverging");
}

void DrawGroups::append(bool warmup, std::uint64_t first, std::span<const double* const> draws,
                        std::span<const double* const> stats, std::uint64_t n) {
  if (n == 0 || (warmup && !has_warmup())) return;
  Set& s = sets_[warmup ? 1 : 0];
  const std::uint64_t nl = draws.size(), n0 = s.n, n1 = s.n + n;
  {  // the draw coordinates (rank 0 writes them)
    std::vector<std::int64_t> idx;
    if (s.post.comm().is_root())
      for (std::uint64_t i = n0; i < n1; ++i) idx.push_back(static_cast<std::int64_t>(i));
    const std::uint64_t c = idx.empty() ? 0 : n;
    extend_and_write<std::int64_t>(s.post_draw.get(), s.post.where("draw"), {n1}, {n0}, {c}, idx);
    extend_and_write<std::int64_t>(s.stats_draw.get(), s.stats.where("draw"), {n1}, {n0}, {c}, idx);
  }
  for (std::size_t v = 0; v < vars_.size(); ++v) {
    const auto size = static_cast<std::size_t>(vars_[v].size());
    const auto off = static_cast<std::size_t>(offset_[v]);
    std::vector<double> buf;
    buf.reserve(nl * n * size);
    for (std::uint64_t i = 0; i < nl; ++i)
      for (std::uint64_t j = 0; j < n; ++j) {
        const double* row = draws[i] + j * static_cast<std::uint64_t>(cd_) + off;
        buf.insert(buf.end(), row, row + size);
      }
    std::vector<std::uint64_t> extent = {chains_, n1}, o = {first, n0}, cnt = {nl, n};
    for (int k : vars_[v].shape) {
      extent.push_back(static_cast<std::uint64_t>(k));
      o.push_back(0);
      cnt.push_back(static_cast<std::uint64_t>(k));
    }
    if (nl == 0) cnt.assign(cnt.size(), 0);
    extend_and_write<double>(s.vars[v].get(), s.post.where(vars_[v].name), extent, o, cnt, buf);
  }
  const std::vector<std::uint64_t> extent = {chains_, n1}, o = {first, n0},
                                   cnt = nl ? std::vector<std::uint64_t>{nl, n} : std::vector<std::uint64_t>{0, 0};
  for (int j = 0; j < 7; ++j) {
    std::vector<double> col;
    col.reserve(nl * n);
    for (std::uint64_t i = 0; i < nl; ++i)
      for (std::uint64_t k = 0; k < n; ++k) col.push_back(stats[i][k * n_stats + static_cast<std::uint64_t>(j)]);
    const auto where = s.stats.where(stat_names[j]);
    const hid_t d = s.stat[static_cast<std::size_t>(j)].get();
    if (j < 4)
      extend_and_write<double>(d, where, extent, o, cnt, col);
    else if (j < 6)
      extend_and_write<std::int64_t>(d, where, extent, o, cnt, std::vector<std::int64_t>(col.begin(), col.end()));
    else
      extend_and_write<std::int8_t>(d, where, extent, o, cnt, std::vector<std::int8_t>(col.begin(), col.end()));
  }
  s.n = n1;
}

void DrawGroups::close() { sets_.clear(); }

}  // namespace sampo::mcmc
