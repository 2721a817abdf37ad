// The variables each operator gives a replica's container, computed as the operator computes them
// (Training Operator release-1.9, pkg/controller.v1/*/envvar.go and friends; docs/jobs.md cites
// each). Only the addresses differ: where the operator names a replica's Service
// (`<job>-worker-0`), slipway names the host the replica runs on and a port of its own.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "spec/training_job.h"

namespace slipway::jobs {

using EnvMap = std::map<std::string, std::string>;

// One replica of a job: the `index`-th of its group, `global` in the job's order.
struct ReplicaRef {
  std::string type;
  int index = 0;
  int global = 0;
  std::string name() const;  // "worker-1", as the operator's pod name ends
};

// Every replica of the job, group after group in the job's order.
std::vector<ReplicaRef> replicas_of(const spec::TrainingJob& job);

// Where each replica is reached: its host and its own port. Replicas that share a host (all of
// them on a workstation) get different ports, so each framework's server can listen.
class AddressBook {
 public:
  // hosts[i] is where the i-th replica (in replicas_of order) runs; ports start at base_port.
  AddressBook(const spec::TrainingJob& job, std::vector<std::string> hosts, int base_port);
  std::string host(const std::string& type, int index) const;
  int port(const std::string& type, int index) const;
  std::string endpoint(const std::string& type, int index) const;  // host:port

 private:
  int global(const std::string& type, int index) const;
  std::vector<std::pair<std::string, int>> starts_;  // type -> global index of its replica 0
  std::vector<std::string> hosts_;
  int base_port_;
};

// The variables the operator adds for this replica, on top of those the container declares.
EnvMap operator_env(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book);

// TF_CONFIG as the Training Operator writes it (genTFConfigJSONStr): the cluster of every replica
// type, this task, and "environment": "cloud"; the sparse form when enableDynamicWorker is set.
std::string tf_config(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book);

// The container's own env, then the operator's, then its fieldRef variables; Kubernetes'
// $(NAME) references in values expanded against the variables before them.
EnvMap container_env(const spec::TrainingJob& job, const ReplicaRef& r, const AddressBook& book);

// Kubernetes' expansion of $(NAME) in a command, args or env value: a defined NAME is replaced,
// $$ is a literal $, and an undefined reference stays as written.
std::string expand_references(const std::string& text, const EnvMap& env);

}  // namespace slipway::jobs
