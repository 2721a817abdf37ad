#include "ml/table.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "core/files.h"
#include "core/strings.h"

namespace slipway::ml {

// One CSV record: RFC 4180 quoting ("a, b" is one field, "" inside quotes is a quote), CRLF line
// ends accepted, fields trimmed. A quoted field cannot span lines; tables of numbers and labels
// do not need it, and read_csv's field count check reports a line that tried.
static std::vector<std::string> parse_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(trim(cur));
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(trim(cur));
  return out;
}

Result<Table> read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  Table t;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (trim(line).empty()) continue;
    auto fields = parse_line(line);
    if (t.header.empty()) {
      t.header = fields;
      continue;
    }
    if (fields.size() != t.header.size())
      return InvalidInput(path + ":" + std::to_string(lineno) + ": " +
                          std::to_string(fields.size()) + " fields, but the header has " +
                          std::to_string(t.header.size()));
    t.rows.push_back(std::move(fields));
  }
  if (t.header.empty()) return InvalidInput(path + ": empty file; expected a header row");
  return t;
}

static std::string quote(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Status write_csv(const std::string& path, const Table& t) {
  std::string out;
  auto line = [&](const std::vector<std::string>& f) {
    for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + quote(f[i]);
    out += "\n";
  };
  line(t.header);
  for (const auto& r : t.rows) line(r);
  return write_file_atomic(path, out);
}

Result<Dataset> to_dataset(const Table& t, const std::string& label) {
  Dataset d;
  int label_col = -1;
  for (size_t i = 0; i < t.header.size(); ++i) {
    if (t.header[i] == label)
      label_col = static_cast<int>(i);
    else
      d.features.push_back(t.header[i]);
  }
  if (label_col < 0)
    return InvalidInput("no label column '" + label + "'" + did_you_mean(label, t.header) +
                        "; columns: " + join(t.header, ", "));
  // Classes in sorted order, not order of appearance: the class ids then depend only on the set
  // of labels, so shuffling the file's rows does not renumber them.
  std::set<std::string> classes;
  for (const auto& r : t.rows) classes.insert(r[static_cast<size_t>(label_col)]);
  d.classes.assign(classes.begin(), classes.end());
  std::map<std::string, int> class_index;
  for (size_t i = 0; i < d.classes.size(); ++i) class_index[d.classes[i]] = static_cast<int>(i);
  for (size_t ri = 0; ri < t.rows.size(); ++ri) {
    const auto& r = t.rows[ri];
    std::vector<double> x;
    for (size_t c = 0; c < r.size(); ++c) {
      if (static_cast<int>(c) == label_col) continue;
      char* end = nullptr;
      double v = std::strtod(r[c].c_str(), &end);
      if (r[c].empty() || *end != 0)
        return InvalidInput("row " + std::to_string(ri + 2) + ", column '" + t.header[c] + "': '" +
                            r[c] + "' is not a number");
      x.push_back(v);
    }
    d.x.push_back(std::move(x));
    d.y.push_back(class_index[r[static_cast<size_t>(label_col)]]);
  }
  return d;
}

void split_indices(size_t n, double test_fraction, std::uint64_t seed, std::vector<size_t>* train,
                   std::vector<size_t>* test) {
  std::vector<size_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = i;
  // Fisher-Yates written out rather than std::shuffle, whose algorithm the standard leaves to
  // each library: the same seed must hold out the same rows with libstdc++ and libc++.
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(idx[i - 1], idx[rng() % i]);
  size_t n_test = static_cast<size_t>(static_cast<double>(n) * test_fraction + 0.5);
  test->assign(idx.begin(), idx.begin() + static_cast<long>(n_test));
  train->assign(idx.begin() + static_cast<long>(n_test), idx.end());
}

}  // namespace slipway::ml
