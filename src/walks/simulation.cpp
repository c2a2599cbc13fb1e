#include "walks/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>

#include "core/checkpoint/checkpoint.hpp"
#include "core/error/error.hpp"
#include "core/io/hdf5.hpp"
#include "walks/columns.hpp"
#include "walks/estimators.hpp"
#include "walks/optimise.hpp"
#include "walks/distributed.hpp"
#include "walks/partition.hpp"
#include "walks/oracle.hpp"

namespace sampo::walks {

config::Schema Params::schema() {
  config::Schema s;
  s.string("graph.kind", "ws", "graph: cycle, complete, torus (odd side), ws (Watts-Strogatz), ba (Barabasi-Albert), "
           "kronecker (Graph500), file (SNAP edge list, optionally gzip), hdf5 (M x 2 integer dataset graph.dataset in "
           "graph.file)",
           {"cycle", "complete", "torus", "ws", "ba", "kronecker", "file", "hdf5"});
  s.integer("graph.vertices", 1000, "vertices of cycle, complete, ws and ba graphs", 3, 1e11);
  s.integer("graph.side", 11, "side L of the L x L torus (odd: even tori are bipartite)", 3, 1e6);
  s.integer("graph.degree", 10, "ws: ring degree k (even)", 2, 1e6);
  s.real("graph.rewire", 0.1, "ws: rewiring probability", 0.0, 1.0);
  s.integer("graph.attach", 3, "ba: edges per new vertex m", 1, 1e6);
  s.integer("graph.scale", 14, "kronecker: log2 of the number of vertices", 1, 36);
  s.integer("graph.edge_factor", 16, "kronecker: edges per vertex", 1, 1024);
  s.string("graph.file", "", "SNAP edge list ('#' comments, 'u v' per line) for graph.kind = file");
  s.string("graph.dataset", "edges", "hdf5: dataset of edges (M x 2 vertex ids)");
  s.boolean("graph.largest_component", true, "keep only the largest connected component");
  s.boolean("graph.relabel", false, "relabel vertices by a seeded random permutation (Graph500 style)");
  s.string("graph.order", "input", "vertex order after preprocessing: input (as read or relabelled) or degree "
           "(decreasing degree, ties in input order: hubs share cache lines; faster walks on power-law graphs)",
           {"input", "degree"});

  s.string("walk.chain", "srw", "base chain: srw (mu ~ degree), mhrw (Metropolis-Hastings to uniform), nbrw "
           "(non-backtracking; base method only)", {"srw", "mhrw", "nbrw"});
  s.string("walk.method", "srrw", "base (the chain itself), srrw (self-repellent), hdt (MH towards pi[x], O(1) "
           "per step)", {"base", "srrw", "hdt"});
  s.real("walk.alpha", 1.0, "repellence strength alpha (srrw, hdt)", 0.0, 1e6);
  s.integer("walk.alpha_ramp", 0, "alpha_n = alpha min(1, (n+1)/alpha_ramp); 0: constant alpha", 0, 1e15);
  s.real("walk.laziness", 0.0, "lazy base chain: P <- (1-eps) P + eps I", 0.0, 0.99);
  s.real("walk.gamma_exponent", 1.0, "x_n step size gamma_n = (n+1)^-a, a in (0.5, 1]; 1: visit counts with one "
         "pseudo-visit per vertex", 0.5, 1.0);
  s.integer("walk.tokens", 64, "number of tokens (sharded over ranks; token k uses its own random stream)", 1, 1e9);
  s.integer("walk.steps", 100000, "steps per token", 1, 1e15);
  s.integer("walk.output_every", 1000, "record estimators every this many steps", 1, 1e15);
  s.integer("walk.snapshot_every", 0, "store the token-averaged empirical measure x_n every this many steps (a "
            "multiple of walk.output_every; 0: at the end only)", 0, 1e15);
  s.integer("walk.chunk_steps", 10000, "steps between checks for checkpoints and signals", 1, 1e12);
  s.integer("walk.rejection_degree", 256, "srrw: at vertices of at least this degree draw by rejection from the base "
            "chain with per-(token, vertex) envelopes (the same law, O(1) expected cost when accepted; other paths than "
            "the exact O(degree) scan); 0: always the exact scan", 0, 1e12);
  s.integer("walk.trajectory_tokens", 0, "record the vertex of the first K tokens at every output time", 0, 1e6);

  s.string("walk.partition", "replicated", "replicated: tokens sharded by id, every rank holds all their counts; "
           "vertex: 1-D vertex partition balancing |V|+|E|, tokens migrate to the owner of their vertex, counts at "
           "owners with ghost counts (bitwise the same paths)", {"replicated", "vertex"});
  s.integer("walk.stop_at", -1, "testing: write a checkpoint at this step and stop with exit code 85 as after a "
            "signal (-1: never)", -1, 1e15);
  s.real("estimate.indicator_fraction", 0.1, "indicator function of the vertex set {i < fraction N}", 0.0, 1.0);
  s.string("estimate.function_file", "", "optional extra vertex function: one value per vertex per line");

  s.boolean("oracle.enabled", true, "exact asymptotic variances sigma^2_alpha(f) by two PETSc KSP solves");
  s.integer("oracle.max_vertices", 20000, "skip the oracle on larger graphs", 1, 2e9);
  s.real("oracle.rtol", 1e-13, "CG relative residual tolerance", 1e-16, 1e-2);
  s.integer("oracle.max_iterations", 100000, "CG iteration limit", 1, 1e9);

  s.boolean("sa.enabled", false, "SA-SRRW: tokens carry theta and step theta <- theta - beta grad f_X(theta)");
  s.string("sa.loss", "logistic", "per-vertex loss: logistic (L2-regularised) or quadratic", {"logistic", "quadratic"});
  s.integer("sa.dim", 5, "dimension of theta", 1, 1000);
  s.integer("sa.samples", 10, "logistic: data points per vertex", 1, 1e6);
  s.real("sa.l2", 0.01, "logistic: L2 regularisation lambda", 0.0, 1e6);
  s.real("sa.beta_exponent", 0.7, "beta_n = beta_scale (n+1)^-b, b in (0.5, 1]", 0.5, 1.0);
  s.real("sa.beta_scale", 1.0, "beta_n prefactor", 1e-12, 1e6);
  s.string("sa.theta_solver", "nls", "PETSc TAO type for theta* = argmin sum_i mu_i f_i (options prefix theta_, "
           "e.g. -- -theta_tao_monitor)", {"nls", "ntr", "lmvm", "blmvm", "cg"});
  s.real("sa.theta_gatol", 1e-12, "theta*: stop when |grad F| <= this (an error if TAO stops above it)", 1e-16, 1e-4);
  s.integer("sa.theta_max_iterations", 500, "theta*: TAO iteration limit", 1, 1e6);
  return s;
}

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& why) {
  throw ConfigError(key + " = " + value + ": " + why, true);
}

}  // namespace

Params Params::from(const config::Config& c) {
  Params p;
  auto& g = p.graph;
  g.kind = c.get_string("graph.kind");
  g.vertices = c.get_int("graph.vertices");
  g.side = c.get_int("graph.side");
  g.degree = c.get_int("graph.degree");
  g.rewire = c.get_real("graph.rewire");
  g.attach = c.get_int("graph.attach");
  g.scale = c.get_int("graph.scale");
  g.edge_factor = c.get_int("graph.edge_factor");
  g.file = c.get_string("graph.file");
  g.dataset = c.get_string("graph.dataset");
  g.largest_component = c.get_bool("graph.largest_component");
  g.relabel = c.get_bool("graph.relabel");
  g.order = vertex_order_from(c.get_string("graph.order"));
  auto& w = p.walk;
  w.chain = chain_from(c.get_string("walk.chain"));
  w.method = method_from(c.get_string("walk.method"));
  w.alpha = c.get_real("walk.alpha");
  w.alpha_ramp = c.get_int("walk.alpha_ramp");
  w.laziness = c.get_real("walk.laziness");
  w.gamma_exponent = c.get_real("walk.gamma_exponent");
  w.tokens = c.get_int("walk.tokens");
  w.rejection_degree = c.get_int("walk.rejection_degree");
  w.seed = static_cast<std::uint64_t>(c.get_int("run.seed"));
  w.beta_exponent = c.get_real("sa.beta_exponent");
  w.beta_scale = c.get_real("sa.beta_scale");
  p.steps = c.get_int("walk.steps");
  p.output_every = c.get_int("walk.output_every");
  p.snapshot_every = c.get_int("walk.snapshot_every");
  p.chunk_steps = c.get_int("walk.chunk_steps");
  p.trajectory_tokens = c.get_int("walk.trajectory_tokens");
  p.stop_at = c.get_int("walk.stop_at");
  p.partitioned = c.get_string("walk.partition") == "vertex";
  p.indicator_fraction = c.get_real("estimate.indicator_fraction");
  p.function_file = c.get_string("estimate.function_file");
  p.oracle = c.get_bool("oracle.enabled");
  p.oracle_max_vertices = c.get_int("oracle.max_vertices");
  p.oracle_rtol = c.get_real("oracle.rtol");
  p.oracle_max_iterations = c.get_int("oracle.max_iterations");
  p.sa = c.get_bool("sa.enabled");
  p.loss = c.get_string("sa.loss");
  p.sa_dim = c.get_int("sa.dim");
  p.sa_samples = c.get_int("sa.samples");
  p.sa_l2 = c.get_real("sa.l2");
  p.theta_solver = c.get_string("sa.theta_solver");
  p.theta_gatol = c.get_real("sa.theta_gatol");
  p.theta_max_iterations = c.get_int("sa.theta_max_iterations");

  // Cross-key checks: identical on every rank (the config is), so the ConfigError is collective.
  if (g.kind == "ws" && (g.degree % 2 != 0 || g.degree >= g.vertices))
    bad("graph.degree", std::to_string(g.degree), "Watts-Strogatz needs an even degree below graph.vertices = " +
        std::to_string(g.vertices) + " (use e.g. 10)");
  if (g.kind == "ba" && g.attach + 1 >= g.vertices)
    bad("graph.attach", std::to_string(g.attach), "Barabasi-Albert needs graph.attach < graph.vertices - 1");
  if ((g.kind == "file" || g.kind == "hdf5") && g.file.empty())
    bad("graph.file", "\"\"", "graph.kind = " + g.kind + " needs the path of an edge list in graph.file");
  if (w.chain == Chain::nbrw && w.method != Method::base)
    bad("walk.method", to_string(w.method), "srrw and hdt need a reversible base chain: set walk.chain = srw or mhrw, "
        "or walk.method = base for the non-backtracking walk");
  if (w.chain == Chain::nbrw && w.laziness > 0.0)
    bad("walk.laziness", std::to_string(w.laziness), "the non-backtracking walk has no lazy version (set 0)");
  if (w.gamma_exponent <= 0.5)
    bad("walk.gamma_exponent", std::to_string(w.gamma_exponent), "must be in (0.5, 1]");
  if (w.beta_exponent <= 0.5)
    bad("sa.beta_exponent", std::to_string(w.beta_exponent), "must be in (0.5, 1]");
  if (p.snapshot_every > 0 && p.snapshot_every % p.output_every != 0)
    bad("walk.snapshot_every", std::to_string(p.snapshot_every), "must be a multiple of walk.output_every = " +
        std::to_string(p.output_every));
  if (p.trajectory_tokens > w.tokens)
    bad("walk.trajectory_tokens", std::to_string(p.trajectory_tokens), "cannot exceed walk.tokens = " +
        std::to_string(w.tokens));
  if (p.sa && w.method == Method::base && w.chain == Chain::nbrw)
    bad("sa.enabled", "true", "SA needs visits that follow mu: use walk.chain = srw or mhrw");
  return p;
}

namespace {
// Rows [M·r/P, M·(r+1)/P) of the M × 2 edge array graph.dataset in graph.file (r = 0, P = 1: all of it); a wrong
// file, dataset or shape is one input error on every rank.
std::vector<std::int64_t> read_edge_rows(const mpi::Communicator& comm, const GraphParams& p, int r, int P) {
  std::vector<std::int64_t> flat;
  mpi::all_or_throw(comm, [&] {
    try {
      auto f = io::File::open(comm, p.file);
      const auto sh = f.root().shape(p.dataset);
      if (sh.size() != 2 || sh[1] != 2)
        throw InputError(p.file + ":" + p.dataset + " must be an M x 2 array of vertex ids (graph.dataset)");
      const auto M = sh[0], P64 = static_cast<std::uint64_t>(P), r64 = static_cast<std::uint64_t>(r);
      if (M == 0) throw InputError(p.file + ":" + p.dataset + ": no edges");
      flat = f.root().read_part<std::int64_t>(p.dataset, M * r64 / P64, M * (r64 + 1) / P64 - M * r64 / P64);
    } catch (const IoError& e) {
      throw InputError(std::string(e.what()) + " (check graph.file and graph.dataset)");
    }
  });
  return flat;
}
}  // namespace

Graph build_graph(const mpi::Communicator& comm, const GraphParams& p, std::uint64_t seed, log::Logger* log) {
  EdgeList el;
  mpi::all_or_throw(comm, [&] {
    if (p.kind == "cycle") el = cycle(p.vertices);
    else if (p.kind == "complete") el = complete(p.vertices);
    else if (p.kind == "torus") el = torus(p.side);
    else if (p.kind == "ws") el = watts_strogatz(p.vertices, static_cast<int>(p.degree), p.rewire, seed);
    else if (p.kind == "ba") el = barabasi_albert(p.vertices, static_cast<int>(p.attach), seed);
    else if (p.kind == "kronecker") el = kronecker(static_cast<int>(p.scale), static_cast<int>(p.edge_factor), seed);
    else if (p.kind == "file") el = read_edge_list(p.file);
  });
  if (p.kind == "hdf5") {
    const auto flat = read_edge_rows(comm, p, 0, 1);
    mpi::all_or_throw(comm, [&] { el = edges_from_array(flat, p.file + ":" + p.dataset); });
  }
  PreprocessStats st;
  Graph g = preprocess(el, p.largest_component, p.relabel, seed, &st, p.order);
  mpi::all_or_throw(comm, [&] {
    if (g.vertices() < 2) throw InputError("graph has fewer than 2 vertices after preprocessing");
    if (!p.largest_component)
      for (Vertex v = 0; v < g.vertices(); ++v)
        if (g.degree(v) == 0)
          throw InputError("vertex " + std::to_string(v) + " is isolated: set graph.largest_component = true");
  });
  if (log)
    log->info("graph " + p.kind + ": " + std::to_string(st.input_vertices) + " vertices, " +
              std::to_string(st.input_edges) + " input edges (" + std::to_string(st.self_loops) + " self-loops, " +
              std::to_string(st.duplicates) + " duplicate copies dropped) -> " + std::to_string(g.vertices()) +
              " vertices, " + std::to_string(g.edges()) + " edges, max degree " + std::to_string(g.max_degree()));
  return g;
}

DistributedGraph build_distributed_graph(const mpi::Communicator& comm, const GraphParams& p, std::uint64_t seed,
                                         log::Logger* log) {
  const int P = comm.size(), r = comm.rank();
  EdgeList share;
  if (p.kind == "file") {
    mpi::all_or_throw(comm, [&] { share = read_edge_list(p.file, r, P); });
  } else if (p.kind == "hdf5") {
    const auto flat = read_edge_rows(comm, p, r, P);
    mpi::all_or_throw(comm, [&] {
      if (!flat.empty()) share = edges_from_array(flat, p.file + ":" + p.dataset);
    });
  } else {
    const GeneratorSpec spec{p.kind, p.vertices, p.side, static_cast<int>(p.degree), static_cast<int>(p.attach),
                             static_cast<int>(p.scale), static_cast<int>(p.edge_factor), p.rewire};
    mpi::all_or_throw(comm, [&] { share = generate_share(spec, seed, r, P); });
  }
  PreprocessStats st;
  DistributedGraph g = distribute(comm, std::move(share), p.largest_component, p.relabel, seed, &st, p.order);
  mpi::all_or_throw(comm, [&] {
    if (g.vertices() < 2) throw InputError("graph has fewer than 2 vertices after preprocessing");
    if (!p.largest_component)
      for (Vertex v = g.lo(); v < g.hi(); ++v)
        if (g.degree(v) == 0)
          throw InputError("vertex " + std::to_string(v) + " is isolated: set graph.largest_component = true");
  });
  const auto bytes = comm.allgather(static_cast<std::int64_t>(g.bytes()));
  if (log)
    log->info("graph " + p.kind + " (distributed over " + std::to_string(P) + " ranks): " +
              std::to_string(st.input_vertices) + " vertices, " + std::to_string(st.input_edges) + " input edges (" +
              std::to_string(st.self_loops) + " self-loops, " + std::to_string(st.duplicates) +
              " duplicate copies dropped) -> " + std::to_string(g.vertices()) + " vertices, " +
              std::to_string(g.edges()) + " edges, max degree " + std::to_string(g.global_max_degree()) +
              "; rows and ghosts " + std::to_string(*std::max_element(bytes.begin(), bytes.end())) +
              " bytes on the largest rank");
  return g;
}

Graph degrees_view(const mpi::Communicator& comm, const DistributedGraph& g) {
  std::vector<std::int64_t> mine;
  for (Vertex v = g.lo(); v < g.hi(); ++v) mine.push_back(g.degree(v));
  const auto deg = comm.allgatherv<std::int64_t>(mine);  // blocks are contiguous and in rank order
  std::vector<std::int64_t> off(deg.size() + 1, 0);
  for (std::size_t i = 0; i < deg.size(); ++i) off[i + 1] = off[i] + deg[i];
  return Graph::degrees_only(std::move(off));
}

namespace {

// Everything recorded at output times, replicated on every rank (and in checkpoints).
struct History {
  std::vector<double> step, tvd, mse;
  std::vector<double> nrmse, mean, scaled_var;  // rows × n_functions
  std::vector<double> snap_step, snap_x;        // rows × N
  std::vector<std::int64_t> trajectory;         // rows × trajectory_tokens
};

// Snapshots of the vertex engine hold the owned block of columns only (Columns::count = block size).
struct Columns {
  const mpi::Communicator* comm = nullptr;  // null: rows of all N columns on every rank
  std::uint64_t first = 0, count = 0;
};

void write_history(const io::Group& g, const History& h, std::size_t nf, std::size_t N, std::size_t K,
                   const io::DatasetOptions& o, const Columns& cols = {}) {
  g.write_replicated<double>("step", h.step, {}, o);
  g.write_replicated<double>("tvd", h.tvd, {}, o);
  g.write_replicated<double>("mse", h.mse, {}, o);
  g.write_replicated<double>("nrmse", h.nrmse, {h.step.size(), nf}, o);
  g.write_replicated<double>("mean", h.mean, {h.step.size(), nf}, o);
  g.write_replicated<double>("scaled_variance", h.scaled_var, {h.step.size(), nf}, o);
  g.write_replicated<double>("snapshot_step", h.snap_step, {}, o);
  if (cols.comm)
    write_columns<double>(g, *cols.comm, "snapshot_x", h.snap_x, h.snap_step.size(), cols.count, o);
  else
    g.write_replicated<double>("snapshot_x", h.snap_x, {h.snap_step.size(), N}, o);
  if (K > 0) g.write_replicated<std::int64_t>("trajectory", h.trajectory, {h.step.size(), K}, o);
}

History read_history(const io::Group& g, std::size_t K, const Columns& cols = {}) {
  History h;
  h.step = g.read_all<double>("step");
  h.tvd = g.read_all<double>("tvd");
  h.mse = g.read_all<double>("mse");
  h.nrmse = g.read_all<double>("nrmse");
  h.mean = g.read_all<double>("mean");
  h.scaled_var = g.read_all<double>("scaled_variance");
  h.snap_step = g.read_all<double>("snapshot_step");
  h.snap_x = cols.comm ? read_columns<double>(g, "snapshot_x", cols.first, cols.count)
                       : g.read_all<double>("snapshot_x");
  if (K > 0) h.trajectory = g.read_all<std::int64_t>("trajectory");
  return h;
}

io::DatasetOptions desc(const std::string& units, const std::string& d) { return {units, d, false, 0}; }

}  // namespace

int run(app::Context& ctx) {
  const auto p = Params::from(ctx.config);
  const auto& comm = ctx.comm;
  const auto seed = p.walk.seed;

  // ---- setup: graph, chain, functions, objective, oracle ----
  {
    // Generated graphs: vertices V and about V·(edges per vertex) undirected edges, held on every rank (CSR plus the
    // edge list while it is built: ~48 bytes per directed edge), plus per-token visit counts (8 bytes per vertex).
    const auto& g = p.graph;
    double V = 0, per_vertex = 0;
    if (g.kind == "torus") V = static_cast<double>(g.side) * static_cast<double>(g.side), per_vertex = 4;
    else if (g.kind == "kronecker") V = std::ldexp(1.0, static_cast<int>(g.scale)), per_vertex = static_cast<double>(g.edge_factor);
    else if (g.kind == "ba") V = static_cast<double>(g.vertices), per_vertex = static_cast<double>(g.attach);
    else if (g.kind != "file" && g.kind != "hdf5") V = static_cast<double>(g.vertices), per_vertex = static_cast<double>(g.degree);
    if (g.kind == "complete") per_vertex = V;
    if (g.kind == "cycle") per_vertex = 2;
    const double tokens_here = std::ceil(static_cast<double>(p.walk.tokens) / comm.size());
    // walk.partition = vertex: the rows are distributed (edge shares and rows: the same per edge, over P ranks),
    // the degree and relabelling arrays of distributed preprocessing stay O(V) (16 bytes per vertex, transient),
    // and every token has a (count, power) entry per owned vertex and per ghost (≤ the owned rows' edges).
    const double P = comm.size();
    const double ghosts = std::min(V - V / P, per_vertex * V / P);  // non-owned neighbours of a block, at most
    const double bytes = p.partitioned ? V * (8.0 + 96.0 * per_vertex) / P + 16.0 * V +
                                             static_cast<double>(p.walk.tokens) * 16.0 * (V / P + ghosts)
                                       : V * (8.0 + 96.0 * per_vertex) + tokens_here * V * 8.0;
    app::require_memory(ctx, bytes,
                        "graph (" + g.kind + ", " + std::to_string(static_cast<long long>(V)) + " vertices) with walk.tokens = " +
                            std::to_string(p.walk.tokens));
  }
  // Vertex-partitioned engine: the rows are distributed (each rank its block plus ghost degrees) and estimators,
  // output and checkpoints work on the owned blocks; only SA-SRRW (θ* needs every μ_i) keeps a degrees-only view.
  // Replicated: the whole graph on every rank.
  std::unique_ptr<DistributedGraph> dgraph;
  std::unique_ptr<Graph> rgraph;
  if (p.partitioned) {
    dgraph = std::make_unique<DistributedGraph>(build_distributed_graph(comm, p.graph, seed, &ctx.log));
    if (p.sa) rgraph = std::make_unique<Graph>(degrees_view(comm, *dgraph));
  } else {
    rgraph = std::make_unique<Graph>(build_graph(comm, p.graph, seed, &ctx.log));
  }
  if (p.graph.kind == "torus" && p.graph.side % 2 == 0 && p.walk.laziness == 0.0 && p.walk.chain == Chain::srw)
    ctx.log.warn("an even torus is bipartite: the simple random walk is periodic (use an odd graph.side or "
                 "walk.laziness > 0)");
  std::unique_ptr<BaseChain> chain_ptr;
  if (rgraph) chain_ptr = std::make_unique<BaseChain>(*rgraph, p.walk.chain, p.walk.laziness);
  const auto N = static_cast<std::size_t>(dgraph ? dgraph->vertices() : rgraph->vertices());
  const std::int64_t graph_edges = dgraph ? dgraph->edges() : rgraph->edges();
  // How vertex ids were assigned (a restart must use the same): the checkpoint attribute vertex_labels.
  const std::string vertex_labels = std::string(p.graph.relabel ? "seeded permutation" : "input ids") +
                                    (p.graph.order == VertexOrder::degree ? ", then by decreasing degree" : "");
  const std::int64_t graph_max_degree = dgraph ? dgraph->global_max_degree() : rgraph->max_degree();
  // Vertex engine: μ and the vertex functions on the owned block [lo, lo + block) only.
  const std::uint64_t lo = dgraph ? static_cast<std::uint64_t>(dgraph->lo()) : 0;
  const std::uint64_t block = dgraph ? static_cast<std::uint64_t>(dgraph->hi() - dgraph->lo()) : N;
  const std::vector<double> mu_block = dgraph ? block_mu_norm(*dgraph, p.walk.chain) : std::vector<double>{};
  std::vector<VertexFunction> functions;
  if (dgraph) {
    functions = block_functions(comm, *dgraph, mu_block, p.indicator_fraction, p.function_file);
  } else {
    functions = standard_functions(*chain_ptr, p.indicator_fraction);
    if (!p.function_file.empty()) {
      mpi::all_or_throw(comm, [&] { functions.push_back(function_from_file(*chain_ptr, p.function_file)); });
    }
  }
  const std::size_t nf = functions.size();
  std::vector<std::span<const double>> f_block;
  for (const auto& f : functions) f_block.emplace_back(f.values);

  // PETSc (TAO for theta*, KSP for the oracle), started once on the run's communicator when first needed.
  std::unique_ptr<petsc::Session> petsc;
  auto petsc_session = [&] {
    if (!petsc) petsc = std::make_unique<petsc::Session>(comm, ctx.extra_args);
  };
  std::unique_ptr<Objective> objective;
  std::vector<double> theta_star;
  ThetaStar theta_info;
  if (p.sa) {
    objective = std::make_unique<Objective>(static_cast<Vertex>(N), loss_from(p.loss), static_cast<int>(p.sa_dim),
                                            static_cast<int>(p.sa_samples), p.sa_l2, seed);
    petsc_session();
    const auto star = solve_tao(*petsc, *objective, chain_ptr->mu_norm(),
                                TaoOptions{p.theta_solver, p.theta_gatol, p.theta_max_iterations});
    theta_star = star.theta;
    theta_info = star;
    ctx.log.info("SA-SRRW: theta* by TAO " + star.type + " in " + std::to_string(star.iterations) +
                 " iterations (" + star.reason + "), F(theta*) = " + std::to_string(star.value) + ", |grad F| = " +
                 std::to_string(star.gradient_norm));
  }

  // Oracle: σ² for α = 0 (base chain) and the run's α, per function.
  std::vector<double> oracle_alphas{0.0}, oracle_sigma;  // oracle_sigma: n_f × n_alpha
  std::vector<double> predicted(nf, 0.0);               // σ² predicted for this run's method
  bool have_oracle = false;
  const bool reversible = p.walk.chain != Chain::nbrw;
  if (p.oracle && reversible && static_cast<std::int64_t>(N) <= p.oracle_max_vertices) {
    if (p.walk.alpha > 0.0 && p.walk.method == Method::srrw) oracle_alphas.push_back(p.walk.alpha);
    petsc_session();
    OracleOptions oo{p.oracle_rtol, p.oracle_max_iterations};
    // The oracle needs the rows and every f_i: with a distributed graph, the (small: oracle.max_vertices) global
    // graph and its functions once (the same values as the blocks).
    std::unique_ptr<Graph> rows;
    std::unique_ptr<BaseChain> rows_chain;
    std::vector<VertexFunction> global_functions;
    if (!rgraph || !rgraph->has_rows()) {
      rows = std::make_unique<Graph>(build_graph(comm, p.graph, seed, nullptr));
      rows_chain = std::make_unique<BaseChain>(*rows, p.walk.chain, p.walk.laziness);
      global_functions = standard_functions(*rows_chain, p.indicator_fraction);
      if (!p.function_file.empty()) global_functions.push_back(function_from_file(*rows_chain, p.function_file));
    }
    const BaseChain& ochain = rows_chain ? *rows_chain : *chain_ptr;
    for (std::size_t q = 0; q < nf; ++q) {
      const auto& values = rows_chain ? global_functions[q].values : functions[q].values;
      const auto r = oracle_sigma2(*petsc, ochain, values, oracle_alphas, oo);
      oracle_sigma.insert(oracle_sigma.end(), r.sigma2.begin(), r.sigma2.end());
    }
    for (std::size_t q = 0; q < nf; ++q) {
      const double base = oracle_sigma[q * oracle_alphas.size()];
      predicted[q] = p.walk.method == Method::srrw ? oracle_sigma[q * oracle_alphas.size() + oracle_alphas.size() - 1]
                     : p.walk.method == Method::hdt ? base / (2.0 * p.walk.alpha + 1.0)
                                                    : base;
      ctx.log.info("oracle: sigma^2(" + functions[q].name + ") = " + std::to_string(predicted[q]) + " (base chain " +
                   std::to_string(base) + ")");
    }
    have_oracle = true;
  } else if (p.oracle) {
    ctx.log.warn(reversible ? "oracle skipped: graph larger than oracle.max_vertices"
                            : "oracle skipped: the non-backtracking walk is not reversible");
  }

  // ---- tokens ----
  const auto T = static_cast<std::uint64_t>(p.walk.tokens);
  const auto P = static_cast<std::uint64_t>(comm.size()), rk = static_cast<std::uint64_t>(comm.rank());
  const std::uint64_t first = T * rk / P, count = T * (rk + 1) / P - first;
  const auto K = static_cast<std::size_t>(p.trajectory_tokens);
  const std::size_t dim = objective ? static_cast<std::size_t>(objective->dim()) : 0;
  // Replicated engine: tokens [first, first + count) with dense visit weights. Vertex engine: tokens at the owners
  // of their vertices, counts at the owners of the counted vertices.
  std::unique_ptr<Walkers> walkers;
  std::unique_ptr<PartitionedWalkers> engine;
  if (p.partitioned) engine = std::make_unique<PartitionedWalkers>(comm, *dgraph, p.walk, objective.get());
  else walkers = std::make_unique<Walkers>(*chain_ptr, p.walk, first, count, objective.get());
  const std::int64_t rejection_vertices = engine ? engine->rejection_vertices() : walkers->rejection_vertices();
  const Columns cols = engine ? Columns{&comm, lo, block} : Columns{};
  if (engine) {
    const auto mem = comm.allgather(static_cast<std::int64_t>(engine->state_bytes() + dgraph->bytes()));
    ctx.log.info("vertex engine: graph and token state " + std::to_string(*std::max_element(mem.begin(), mem.end())) +
                 " bytes on the largest rank");
  }

  checkpoint::Manager ckpt(comm, checkpoint::Params::from(ctx.config, ctx.output_dir), "walks", schema_version);
  History hist;
  std::int64_t step = 0;

  if (!ctx.restart.empty()) {
    const auto found = ckpt.resolve(ctx.restart, ctx.log);
    auto f = ckpt.open(found);
    const auto& r = f.root();
    mpi::all_or_throw(comm, [&] {
      const auto sh = r.shape("w");
      if (sh.at(0) != T || sh.at(1) != N)
        throw CheckpointError("checkpoint " + found.path + " holds " + std::to_string(sh.at(0)) + " tokens on " +
                              std::to_string(sh.at(1)) + " vertices, but the deck gives walk.tokens = " +
                              std::to_string(T) + " and a graph of " + std::to_string(N) +
                              " vertices (restart with the same deck)");
      if (r.attr_int("graph_edges") != graph_edges || r.attr_string("method") != to_string(p.walk.method) ||
          r.attr_int("rejection_vertices") != rejection_vertices ||
          r.attr_string("chain") != to_string(p.walk.chain) || r.attr_int("sa_dim") != static_cast<std::int64_t>(dim))
        throw CheckpointError("checkpoint " + found.path + " was written with a different graph, chain, method or "
                              "SA setting (restart with the same deck)");
      if (r.has_attr("vertex_labels") && r.attr_string("vertex_labels") != vertex_labels)
        throw CheckpointError("checkpoint " + found.path + " was written with vertex labels '" +
                              r.attr_string("vertex_labels") + "', but the deck gives '" + vertex_labels +
                              "' (graph.relabel, graph.order: restart with the same deck)");
    });
    step = r.attr_int("step");
    if (engine) {
      engine->read_checkpoint(r, step);
    } else {
      const auto vertex = r.read_part<std::int64_t>("vertex", first, count);
      const auto previous = r.read_part<std::int64_t>("previous", first, count);
      const auto rblock = r.read_part<std::uint64_t>("rng_block", first, count);
      const auto used = r.read_part<std::uint64_t>("rng_used", first, count);
      const auto scale = r.read_part<double>("scale", first, count);
      const auto cached = r.read_part<std::int64_t>("cached", first, count);
      const auto w = r.read_part<double>("w", first, count);
      std::vector<double> theta, env;
      if (dim > 0) theta = r.read_part<double>("theta", first, count);
      const auto H = static_cast<std::size_t>(rejection_vertices);
      if (H > 0) env = r.read_part<double>("envelope", first, count);
      auto& toks = walkers->tokens();
      for (std::size_t k = 0; k < count; ++k) {
        toks[k].vertex = vertex[k];
        toks[k].previous = previous[k];
        toks[k].stream.set_position({rblock[k], used[k]});
        toks[k].scale = scale[k];
        toks[k].cached = cached[k] != 0;
        std::copy_n(w.begin() + static_cast<std::ptrdiff_t>(k * N), N, toks[k].w.begin());
        if (dim > 0) std::copy_n(theta.begin() + static_cast<std::ptrdiff_t>(k * dim), dim, toks[k].theta.begin());
        if (H > 0) std::copy_n(env.begin() + static_cast<std::ptrdiff_t>(k * H), H, toks[k].env.begin());
      }
      walkers->restore(step);
    }
    hist = read_history(r.open_group("history"), K, cols);
    ctx.log.info("restarted from " + found.path + " at step " + std::to_string(step));
  }

  auto write_checkpoint = [&] {
    return ckpt.write(step, [&](const io::Group& g) {
      const auto o = checkpoint::Manager::dataset_options();
      g.set_attr("graph_edges", graph_edges);
      g.set_attr("vertex_labels", vertex_labels);
      g.set_attr("method", to_string(p.walk.method));
      g.set_attr("chain", to_string(p.walk.chain));
      g.set_attr("sa_dim", static_cast<std::int64_t>(dim));
      g.set_attr("rejection_vertices", rejection_vertices);
      if (engine) {
        engine->write_checkpoint(g, o);
      } else {
        const auto& toks = walkers->tokens();
        write_token_state(g, toks, o);
        std::vector<double> w, theta, env;
        for (const auto& t : toks) {
          env.insert(env.end(), t.env.begin(), t.env.end());
          w.insert(w.end(), t.w.begin(), t.w.end());
          theta.insert(theta.end(), t.theta.begin(), t.theta.end());
        }
        g.write_rows<double>("w", w, N, o);
        if (dim > 0) g.write_rows<double>("theta", theta, dim, o);
        if (rejection_vertices > 0) g.write_rows<double>("envelope", env, static_cast<std::size_t>(rejection_vertices), o);
      }
      write_history(g.create_group("history"), hist, nf, N, K, o, cols);
    });
  };

  // The token-sharded scalar state (both engines): final vertices, θ, trajectories (collective).
  auto for_shard_tokens = [&](auto&& fn) {
    if (engine) {
      for (const auto& t : engine->shard_tokens()) fn(t);
    } else {
      for (const auto& t : walkers->tokens()) fn(t);
    }
  };

  // Seconds this process has spent advancing tokens, at each output time (the slowest rank's): timing, not restart
  // state, so it goes to the output as the /series attribute walk_seconds (NaN for output times before a restart).
  double walking = 0.0;
  std::vector<double> walk_seconds(hist.step.size(), std::numeric_limits<double>::quiet_NaN());
  // Estimators with their run-constant sums computed once: the replicated engine's Summariser, the vertex engine's
  // EstimatorBase.
  std::optional<Summariser> summariser;
  std::optional<PartitionedWalkers::EstimatorBase> engine_base;
  if (engine) engine_base.emplace(engine->estimator_base(mu_block, f_block));
  else summariser.emplace(walkers->chain(), functions);
  auto record = [&] {
    walk_seconds.push_back(comm.allreduce(walking, mpi::Op::max));
    const auto s =
        engine ? summarise_rows(comm, engine->estimator_rows(mu_block, f_block, theta_star, &*engine_base), functions)
               : (*summariser)(comm, *walkers, theta_star);
    hist.step.push_back(static_cast<double>(step));
    hist.tvd.push_back(s.tvd_mean);
    hist.mse.push_back(s.mse);
    for (std::size_t q = 0; q < nf; ++q) {
      hist.nrmse.push_back(s.nrmse[q]);
      hist.mean.push_back(s.mean[q]);
      hist.scaled_var.push_back(static_cast<double>(step) * s.var[q]);
    }
    if (K > 0) {
      std::vector<std::int64_t> mine;
      for_shard_tokens([&](const Token& t) {
        if (t.id < K) mine.push_back(t.vertex);
      });
      const auto all = comm.allgatherv<std::int64_t>(mine);
      hist.trajectory.insert(hist.trajectory.end(), all.begin(), all.end());
    }
    const bool snap = (p.snapshot_every > 0 && step % p.snapshot_every == 0) || step == p.steps;
    if (snap) {
      const auto x = engine ? engine->mean_block() : mean_measure(comm, *walkers);
      hist.snap_step.push_back(static_cast<double>(step));
      hist.snap_x.insert(hist.snap_x.end(), x.begin(), x.end());
    }
    ctx.log.verbose("step " + std::to_string(step) + ": TVD " + std::to_string(s.tvd_mean) +
                    (p.sa ? ", MSE " + std::to_string(s.mse) : std::string()));
  };
  if (step == 0 && hist.step.empty()) record();

  // ---- main loop: advance to the next output, checkpoint or chunk boundary ----
  log::Progress progress(ctx.log, "walks", static_cast<double>(p.steps) * static_cast<double>(T), "token-steps");
  const auto every = ckpt.params().every_steps;
  const double t0 = ctx.log.elapsed();
  const std::int64_t step0 = step;
  while (step < p.steps) {
    std::int64_t next = std::min({p.steps, (step / p.output_every + 1) * p.output_every, step + p.chunk_steps});
    if (every > 0) next = std::min(next, (step / every + 1) * every);
    if (p.stop_at > step) next = std::min(next, p.stop_at);
    const double a0 = ctx.log.elapsed();
    if (engine) engine->advance(next - step);
    else walkers->advance(next - step);
    walking += ctx.log.elapsed() - a0;
    step = next;
    if (step % p.output_every == 0 || step == p.steps) record();
    progress.update(static_cast<double>(step) * static_cast<double>(T));
    if (step == p.stop_at) {  // testing: as after a signal, at a chosen step
      const auto path = write_checkpoint();
      ctx.log.info("checkpoint (walk.stop_at) at step " + std::to_string(step) + ": " + path +
                   "; stopping, restart with --restart latest (exit code 85)");
      return checkpoint::exit_requeue;
    }
    if (ckpt.after_step(step, "step", ctx.log, write_checkpoint)) return checkpoint::exit_requeue;
  }
  progress.finish();
  const double seconds = ctx.log.elapsed() - t0;
  // Token steps per second while advancing tokens (the estimators and snapshots at output times left out: their cost
  // grows with the vertices visited, not with the steps). The slowest rank's walking time.
  const double walk_time = comm.allreduce(walking, mpi::Op::max);
  const double walk_rate =
      walk_time > 0 ? static_cast<double>(step - step0) * static_cast<double>(T) / walk_time : 0.0;
  if (ckpt.params().at_end) write_checkpoint();

  // ---- output: <file>.part, renamed when complete ----
  app::Output output(ctx, schema_version);
  const std::string out = output.path();
  {
    const auto& r = output.root();
    {
      const auto g = r.create_group("graph");
      g.set_attr("kind", p.graph.kind);
      g.set_attr("vertices", static_cast<std::int64_t>(N));
      g.set_attr("edges", graph_edges);
      g.set_attr("max_degree", graph_max_degree);
      g.set_attr("partition", p.partitioned ? "vertex" : "replicated");
      g.set_attr("vertex_labels", vertex_labels);
      const auto dd = desc("1", "vertex degrees after preprocessing");
      const auto dm = desc("1", "target distribution mu of the base chain (normalised)");
      if (dgraph) {
        const auto bytes = comm.allgather(static_cast<std::int64_t>(dgraph->bytes()));
        g.set_attr("rows_bytes_max_rank", *std::max_element(bytes.begin(), bytes.end()));
        const auto state = comm.allgather(static_cast<std::int64_t>(engine->state_bytes()));
        g.set_attr("token_state_bytes_max_rank", *std::max_element(state.begin(), state.end()));
        std::vector<std::int64_t> deg;
        for (Vertex v = dgraph->lo(); v < dgraph->hi(); ++v) deg.push_back(dgraph->degree(v));
        g.write_distributed<std::int64_t>("degree", deg, dd);  // blocks are contiguous and in rank order
        g.write_distributed<double>("mu", mu_block, dm);
      } else {
        std::vector<std::int64_t> deg(N);
        for (std::size_t i = 0; i < N; ++i) deg[i] = rgraph->degree(static_cast<Vertex>(i));
        g.write_replicated<std::int64_t>("degree", deg, {}, dd);
        g.write_replicated<double>("mu", std::vector<double>(chain_ptr->mu_norm().begin(), chain_ptr->mu_norm().end()),
                                   {}, dm);
      }
    }
    {
      const auto g = r.create_group("functions");
      std::string names;
      std::vector<double> values, exact;
      for (const auto& fn : functions) {
        names += (names.empty() ? "" : ",") + fn.name;
        values.insert(values.end(), fn.values.begin(), fn.values.end());
        exact.push_back(fn.exact);
      }
      g.set_attr("names", names);
      const auto dv = desc("1", "vertex functions f (rows: functions)");
      if (dgraph) write_columns<double>(g, comm, "values", values, nf, block, dv);
      else g.write_replicated<double>("values", values, {nf, N}, dv);
      g.write_replicated<double>("exact", exact, {}, desc("1", "exact integral of f against mu"));
    }
    {
      const auto g = r.create_group("series");
      write_history(g, hist, nf, N, K, {}, cols);
      g.set_attr("walk_seconds", std::span<const double>(walk_seconds));
      g.set_attr("description", "estimators at output times; scaled_variance = n Var_tokens(x_n f), compare with "
                                "/oracle/predicted");
    }
    if (have_oracle) {
      const auto g = r.create_group("oracle");
      g.write_replicated<double>("alphas", oracle_alphas, {}, desc("1", "alpha values of sigma2 columns"));
      g.write_replicated<double>("sigma2", oracle_sigma, {nf, oracle_alphas.size()},
                                 desc("1", "exact asymptotic variance sigma^2_alpha(f) of the SRRW (alpha 0: base chain)"));
      g.write_replicated<double>("predicted", predicted, {},
                                 desc("1", "asymptotic variance of this run's estimator (srrw, hdt = base/(2 alpha+1), base)"));
    }
    {
      const auto g = r.create_group("tokens");
      std::vector<std::int64_t> vertex;
      std::vector<double> theta;
      for_shard_tokens([&](const Token& t) {
        vertex.push_back(t.vertex);
        theta.insert(theta.end(), t.theta.begin(), t.theta.end());
      });
      g.write_distributed<std::int64_t>("vertex", vertex, desc("1", "final vertex of each token"));
      if (dim > 0) {
        g.write_rows<double>("theta", theta, dim, desc("1", "final SA-SRRW parameter of each token"));
        g.write_replicated<double>("theta_star", theta_star, {}, desc("1", "minimiser of sum_i mu_i f_i"));
        g.set_attr("theta_star_solver", "PETSc TAO " + theta_info.type);
        g.set_attr("theta_star_gradient_norm", theta_info.gradient_norm);
        g.set_attr("theta_star_iterations", static_cast<std::int64_t>(theta_info.iterations));
      }
    }
    const double steps_done = static_cast<double>(step - step0) * static_cast<double>(T);
    r.set_attr("steps_per_second", seconds > 0 ? steps_done / seconds : 0.0);
    r.set_attr("walk_steps_per_second", walk_rate);
    r.set_attr("srrw_sampler", rejection_vertices > 0
                                   ? "rejection at degree >= " + std::to_string(p.walk.rejection_degree) + ", scan below"
                                   : std::string("exact scan"));
    r.set_attr("rejection_vertices", rejection_vertices);
    if (engine) {
      const auto bytes = comm.allreduce(static_cast<double>(engine->stats().bytes_sent), mpi::Op::sum);
      const auto migr = comm.allreduce(static_cast<double>(engine->stats().migrations), mpi::Op::sum);
      r.set_attr("bytes_per_step", steps_done > 0 ? bytes / steps_done : 0.0);
      r.set_attr("migrations_per_step", steps_done > 0 ? migr / steps_done : 0.0);
      r.set_attr("supersteps", engine->stats().supersteps);
      ctx.log.info("partitioned engine: " + std::to_string(engine->stats().supersteps) + " supersteps, " +
                   std::to_string(steps_done > 0 ? migr / steps_done : 0.0) + " migrations and " +
                   std::to_string(steps_done > 0 ? bytes / steps_done : 0.0) + " bytes exchanged per step");
    }
  }
  output.finish();
  const double rate = seconds > 0 ? static_cast<double>(step - step0) * static_cast<double>(T) / seconds : 0.0;
  const double ranks = static_cast<double>(comm.size());
  std::string msg = "done: " + std::to_string(T) + " tokens x " + std::to_string(step) + " steps; TVD " +
                    std::to_string(hist.tvd.back());
  for (std::size_t q = 0; q < nf; ++q)
    msg += "; " + functions[q].name + ": NRMSE " + std::to_string(hist.nrmse[hist.step.size() * nf - nf + q]) +
           ", n Var " + std::to_string(hist.scaled_var[hist.step.size() * nf - nf + q]) +
           (have_oracle ? " (oracle " + std::to_string(predicted[q]) + ")" : std::string());
  if (p.sa) msg += "; MSE " + std::to_string(hist.mse.back());
  ctx.log.info(msg);
  ctx.log.info("throughput " + std::to_string(walk_rate) + " steps/s (" + std::to_string(walk_rate / ranks) +
               " per rank) while walking, " + std::to_string(rate / ranks) +
               " per rank with the estimators at output times; output " + out);
  return 0;
}

}  // namespace sampo::walks
