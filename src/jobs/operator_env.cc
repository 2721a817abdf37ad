#include "jobs/operator_env.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "core/json.h"
#include "core/strings.h"

namespace slipway::jobs {

namespace {

// PyTorchJob (pytorch/envvar.go, master.go, elastic.go).
void pytorch_env(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book,
                 EnvMap* env) {
  (*env)["PYTHONUNBUFFERED"] = "1";
  int total = job.total_replicas();
  // getNprocPerNodeInt: a number, else ("auto", unset) 1.
  int nproc = 1;
  if (job.nproc_per_node) {
    try {
      size_t used = 0;
      int n = std::stoi(*job.nproc_per_node, &used);
      if (used == job.nproc_per_node->size()) nproc = n;
    } catch (const std::exception&) {
    }
  }
  if (job.group("Master")) {
    std::string addr = book.host("Master", 0);
    std::string port = std::to_string(book.port("Master", 0));
    (*env)["MASTER_PORT"] = port;
    (*env)["PET_MASTER_PORT"] = port;
    (*env)["MASTER_ADDR"] = addr;
    (*env)["PET_MASTER_ADDR"] = addr;
    int rank = r.type == "Worker" ? r.index + 1 : r.index;
    (*env)["WORLD_SIZE"] = std::to_string(total * nproc);
    (*env)["RANK"] = std::to_string(rank);
    (*env)["PET_NODE_RANK"] = std::to_string(rank);
  }
  // setDefaultNprocPerNode: "auto" unless the elastic policy gives nProcPerNode.
  if (job.nproc_per_node)
    (*env)["PET_NPROC_PER_NODE"] = *job.nproc_per_node;
  else if (!job.elastic || !job.elastic->nproc_per_node)
    (*env)["PET_NPROC_PER_NODE"] = "auto";
  if (job.elastic) {
    const spec::ElasticPolicy& e = *job.elastic;
    std::string host =
        e.rdzv_host.empty() && job.group("Worker") ? book.host("Worker", 0) : e.rdzv_host;
    int port = e.rdzv_port > 0 || !job.group("Worker") ? e.rdzv_port : book.port("Worker", 0);
    (*env)["PET_RDZV_ENDPOINT"] = host + ":" + std::to_string(port);
    (*env)["PET_RDZV_BACKEND"] = e.rdzv_backend;
    (*env)["PET_NNODES"] = std::to_string(e.min_replicas) + ":" + std::to_string(e.max_replicas);
    if (e.max_restarts) (*env)["PET_MAX_RESTARTS"] = std::to_string(*e.max_restarts);
    if (e.nproc_per_node) (*env)["PET_NPROC_PER_NODE"] = std::to_string(*e.nproc_per_node);
    if (!e.rdzv_id.empty()) (*env)["PET_RDZV_ID"] = e.rdzv_id;
    if (!e.rdzv_conf.empty()) (*env)["PET_RDZV_CONF"] = e.rdzv_conf;
    if (e.standalone) (*env)["PET_STANDALONE"] = "";
  } else {
    (*env)["PET_NNODES"] = std::to_string(total);
  }
}

// XGBoostJob (xgboost/xgboost.go): the rabit tracker's address and this worker's rank.
void xgboost_env(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book,
                 EnvMap* env) {
  int rank = r.index;
  if (r.type == "Worker") rank += job.group("Master") ? job.group("Master")->replicas : 0;
  int total = job.total_replicas();
  (*env)["MASTER_PORT"] = std::to_string(book.port("Master", 0));
  (*env)["MASTER_ADDR"] = book.host("Master", 0);
  (*env)["WORLD_SIZE"] = std::to_string(total);
  (*env)["RANK"] = std::to_string(rank);
  (*env)["PYTHONUNBUFFERED"] = "1";
  if (total > 1 && job.group("Worker")) {
    (*env)["WORKER_PORT"] = std::to_string(book.port("Worker", 0));
    // The operator lists total-1 worker addresses (one Master is assumed).
    std::vector<std::string> addrs;
    for (int i = 0; i < total - 1; ++i) addrs.push_back(book.host("Worker", i));
    (*env)["WORKER_ADDRS"] = join(addrs, ",");
  }
}

// PaddleJob (paddlepaddle/envvar.go).
void paddle_env(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book,
                EnvMap* env) {
  (*env)["PYTHONUNBUFFERED"] = "1";
  (*env)["PADDLE_JOB_ID"] = job.name;
  (*env)["PADDLE_NNODES"] = std::to_string(job.total_replicas());
  // The first replica learns the master endpoint as its own pod IP, the others by Service name:
  // on the host both are the same address.
  if (!job.group("Master")) {
    (*env)["PADDLE_MASTER"] = book.endpoint("Worker", 0);
  } else {
    (*env)["PADDLE_MASTER"] = book.endpoint("Master", 0);
    (*env)[r.type == "Master" ? "PADDLE_SERVER_NUM" : "PADDLE_TRAINER_NUM"] = "1";
  }
}

// JAXJob (jax/envvar.go): jax.distributed.initialize's coordinator, process count and id.
void jax_env(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book,
             EnvMap* env) {
  (*env)["PYTHONUNBUFFERED"] = "1";
  (*env)["COORDINATOR_PORT"] = std::to_string(book.port("Worker", 0));
  (*env)["COORDINATOR_ADDRESS"] = book.host("Worker", 0);
  (*env)["NUM_PROCESSES"] = std::to_string(job.total_replicas());
  (*env)["PROCESS_ID"] = std::to_string(r.index);
}

// TFJob: TF_CONFIG, for a distributed job only (isDistributed), in the container named
// "tensorflow" only (SetClusterSpec).
void tf_env(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book,
            EnvMap* env) {
  if (job.total_replicas() == 1) return;
  const spec::ReplicaGroup* g = job.group(r.type);
  if (!g || g->container.name != "tensorflow") return;
  (*env)["TF_CONFIG"] = tf_config(job, r, book);
}

// TrainJob with the torch runtime (Kubeflow Trainer's torch plugin): torchrun's PET_* values,
// which take precedence over the trainer's own env.
void trainjob_torch_env(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book,
                        EnvMap* env) {
  (*env)["PET_NNODES"] = std::to_string(job.total_replicas());
  (*env)["PET_NPROC_PER_NODE"] = job.nproc_per_node.value_or("auto");
  (*env)["PET_NODE_RANK"] = std::to_string(r.index);
  (*env)["PET_MASTER_ADDR"] = book.host("Node", 0);
  (*env)["PET_MASTER_PORT"] = std::to_string(book.port("Node", 0));
}

}  // namespace

std::string ReplicaRef::name() const { return to_lower(type) + "-" + std::to_string(index); }

std::vector<ReplicaRef> replicas_of(const spec::TrainingJob& job) {
  std::vector<ReplicaRef> out;
  for (const auto& g : job.groups)
    for (int i = 0; i < g.replicas; ++i) out.push_back({g.type, i, static_cast<int>(out.size())});
  return out;
}

AddressBook::AddressBook(const spec::TrainingJob& job, std::vector<std::string> hosts,
                         int base_port)
    : hosts_(std::move(hosts)), base_port_(base_port) {
  int start = 0;
  for (const auto& g : job.groups) {
    starts_.emplace_back(g.type, start);
    start += g.replicas;
  }
}

int AddressBook::global(const std::string& type, int index) const {
  for (const auto& [t, start] : starts_)
    if (t == type) return start + index;
  return -1;
}

std::string AddressBook::host(const std::string& type, int index) const {
  int g = global(type, index);
  if (g < 0 || hosts_.empty()) return "localhost";
  return hosts_[static_cast<size_t>(std::min<int>(g, static_cast<int>(hosts_.size()) - 1))];
}

int AddressBook::port(const std::string& type, int index) const {
  int g = global(type, index);
  return base_port_ + std::max(g, 0);
}

std::string AddressBook::endpoint(const std::string& type, int index) const {
  return host(type, index) + ":" + std::to_string(port(type, index));
}

std::string tf_config(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book) {
  // Go marshals a map's keys sorted and a struct's fields in declaration order; ordered_json
  // keeps the same order, so the text is the operator's, addresses aside.
  using OJson = nlohmann::ordered_json;
  std::map<std::string, std::vector<std::string>> cluster;
  for (const auto& g : job.groups)
    for (int i = 0; i < g.replicas; ++i)
      cluster[to_lower(g.type)].push_back(book.endpoint(g.type, i));
  std::string type = to_lower(r.type);
  OJson task = {{"type", type}, {"index", r.index}};
  OJson out;
  if (job.enable_dynamic_worker) {
    // convertClusterSpecToSparseClusterSpec: a PS knows itself, a worker every PS and itself.
    OJson workers = OJson::object(), ps = OJson::array();
    if (type == "ps") {
      ps.push_back(cluster["ps"][static_cast<size_t>(r.index)]);
    } else if (type == "worker") {
      for (const auto& a : cluster["ps"]) ps.push_back(a);
      workers[std::to_string(r.index)] = cluster["worker"][static_cast<size_t>(r.index)];
    }
    out["cluster"] = {{"worker", workers}, {"ps", ps}};
    out["task"] = task;
  } else {
    OJson c = OJson::object();
    for (const auto& [t, addrs] : cluster) c[t] = addrs;
    out["cluster"] = c;
    out["task"] = task;
    out["environment"] = "cloud";
  }
  return out.dump();
}

std::string expand_references(const std::string& text, const EnvMap& env) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '(') {
      size_t close = text.find(')', i + 2);
      if (close != std::string::npos) {
        auto it = env.find(text.substr(i + 2, close - i - 2));
        if (it != env.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
      out += text[i];
    } else {
      out += text[i];
    }
  }
  return out;
}

EnvMap operator_env(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book) {
  EnvMap env;
  if (job.kind == "PyTorchJob") pytorch_env(job, r, book, &env);
  if (job.kind == "XGBoostJob") xgboost_env(job, r, book, &env);
  if (job.kind == "PaddleJob") paddle_env(job, r, book, &env);
  if (job.kind == "JAXJob") jax_env(job, r, book, &env);
  if (job.kind == "TFJob") tf_env(job, r, book, &env);
  if (job.kind == "TrainJob") trainjob_torch_env(job, r, book, &env);
  return env;
}

EnvMap container_env(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book) {
  EnvMap env;
  const spec::ReplicaGroup* g = job.group(r.type);
  if (!g) return env;
  char hostname[256] = {0};
  gethostname(hostname, sizeof(hostname) - 1);
  for (const auto& [name, path] : g->container.env_fields) {
    if (path == "status.podIP" || path == "status.hostIP")
      env[name] = book.host(r.type, r.index);
    else if (path == "metadata.name")
      env[name] = job.name + "-" + r.name();
    else if (path == "metadata.namespace")
      env[name] = job.namespace_;
    else if (path == "spec.nodeName")
      env[name] = hostname;
  }
  for (const auto& [name, value] : g->container.env) env[name] = expand_references(value, env);
  for (auto& [name, value] : operator_env(job, r, book)) env[name] = value;
  return env;
}

}  // namespace slipway::jobs
