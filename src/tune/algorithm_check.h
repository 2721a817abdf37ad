// A sweep's algorithm as its file names it: a known name (architecture search refused with what
// to use instead), and the settings slipway reads as numbers, each a number in its range. Shared
// by the Katib and the native readers, and checked when the file is read so the sweep never
// starts on a typo.
#pragma once

#include <yaml-cpp/yaml.h>

#include "core/status.h"
#include "core/yaml_reader.h"
#include "tune/sweep_spec.h"

namespace slipway::tune {

// `at` is where the algorithm is written, for the message's file and line.
Status check_algorithm(const YamlReader& r, const YAML::Node& at, const Algorithm& a);

}  // namespace slipway::tune
