// A recursive-descent parser for `when:` conditions into a small tree, and its evaluation with
// references resolved by the caller (the engine, at the moment the task's upstreams are done).
#include "spec/expr.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace slipway::spec {

struct Expr::Node {
  enum class Kind { kLiteral, kRef, kNot, kAnd, kOr, kCmp } kind;
  Json literal;
  Ref ref;
  std::string op;
  std::shared_ptr<const Node> lhs, rhs;
  int depth = 1;  // of the subtree: parsing, evaluating and freeing it recurse this deep
};

namespace {

// Conditions are one line in a pipeline file; this bounds the recursion that parsing, evaluating
// and freeing a tree do, so a hostile or generated condition ("((((...", "a || a || ...") gets an
// error instead of overflowing the stack.
constexpr int kMaxDepth = 100;

using NodeP = std::shared_ptr<const Expr::Node>;
using Node = Expr::Node;

class Parser {
 public:
  Parser(const std::string& s, std::vector<Ref>* refs) : s_(s), refs_(refs) {}

  Result<NodeP> parse() {
    auto n = parse_or();
    if (!n.ok()) return n;
    skip_ws();
    if (pos_ != s_.size()) return error("unexpected '" + s_.substr(pos_, 10) + "'");
    return n;
  }

 private:
  Status error(const std::string& what) {
    return InvalidInput("in condition '" + s_ + "' at character " + std::to_string(pos_ + 1) +
                        ": " + what);
  }
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(const std::string& tok) {
    skip_ws();
    if (s_.compare(pos_, tok.size(), tok) == 0) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }
  static NodeP make(Node n) {
    n.depth = 1 + std::max(n.lhs ? n.lhs->depth : 0, n.rhs ? n.rhs->depth : 0);
    return std::make_shared<const Node>(std::move(n));
  }
  Status too_deep() {
    return error("the condition nests more than " + std::to_string(kMaxDepth) +
                 " levels of operators; split it with an upstream task's output");
  }

  Result<NodeP> parse_or() {
    auto l = parse_and();
    if (!l.ok()) return l;
    NodeP lhs = *l;
    while (eat("||")) {
      auto r = parse_and();
      if (!r.ok()) return r;
      lhs = make({Node::Kind::kOr, {}, {}, "||", lhs, *r});
      if (lhs->depth > kMaxDepth) return too_deep();
    }
    return lhs;
  }
  Result<NodeP> parse_and() {
    auto l = parse_unary();
    if (!l.ok()) return l;
    NodeP lhs = *l;
    while (eat("&&")) {
      auto r = parse_unary();
      if (!r.ok()) return r;
      lhs = make({Node::Kind::kAnd, {}, {}, "&&", lhs, *r});
      if (lhs->depth > kMaxDepth) return too_deep();
    }
    return lhs;
  }
  Result<NodeP> parse_unary() {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '!' && s_.compare(pos_, 2, "!=") != 0) {
      ++pos_;
      if (++nesting_ > kMaxDepth) return too_deep();
      auto inner = parse_unary();
      --nesting_;
      if (!inner.ok()) return inner;
      return make({Node::Kind::kNot, {}, {}, "!", *inner, nullptr});
    }
    return parse_cmp();
  }
  Result<NodeP> parse_cmp() {
    auto l = parse_atom();
    if (!l.ok()) return l;
    for (const char* op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (eat(op)) {
        auto r = parse_atom();
        if (!r.ok()) return r;
        return make({Node::Kind::kCmp, {}, {}, op, *l, *r});
      }
    }
    return l;
  }
  Result<NodeP> parse_atom() {
    skip_ws();
    if (pos_ >= s_.size()) return error("expected a value, found the end");
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      if (++nesting_ > kMaxDepth) return too_deep();
      auto inner = parse_or();
      --nesting_;
      if (!inner.ok()) return inner;
      if (!eat(")")) return error("expected ')'");
      return inner;
    }
    if (s_.compare(pos_, 2, "{{") == 0) {
      size_t close = s_.find("}}", pos_);
      if (close == std::string::npos) return error("unclosed placeholder");
      auto ref = parse_ref(s_.substr(pos_ + 2, close - pos_ - 2));
      if (!ref.ok()) return error(ref.status().message());
      pos_ = close + 2;
      refs_->push_back(*ref);
      Node n{Node::Kind::kRef, {}, *ref, "", nullptr, nullptr};
      return make(std::move(n));
    }
    if (c == '\'' || c == '"') {
      size_t close = s_.find(c, pos_ + 1);
      if (close == std::string::npos) return error("unclosed string");
      Json lit = s_.substr(pos_ + 1, close - pos_ - 1);
      pos_ = close + 1;
      return make({Node::Kind::kLiteral, lit, {}, "", nullptr, nullptr});
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.') {
      char* end = nullptr;
      double d = std::strtod(s_.c_str() + pos_, &end);
      if (end == s_.c_str() + pos_) return error("bad number");
      pos_ = static_cast<size_t>(end - s_.c_str());
      return make({Node::Kind::kLiteral, Json(d), {}, "", nullptr, nullptr});
    }
    for (const char* word : {"true", "false"}) {
      if (s_.compare(pos_, std::string(word).size(), word) == 0) {
        pos_ += std::string(word).size();
        return make(
            {Node::Kind::kLiteral, Json(std::string(word) == "true"), {}, "", nullptr, nullptr});
      }
    }
    return error("expected a placeholder, number, quoted string, true or false");
  }

  const std::string& s_;
  std::vector<Ref>* refs_;
  size_t pos_ = 0;
  int nesting_ = 0;  // open parentheses and '!' being parsed
};

// Numbers, or strings that read as numbers, compare as numbers.
bool as_number(const Json& v, double* out) {
  if (v.is_number()) {
    *out = v.get<double>();
    return true;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return !s.empty() && *end == 0;
  }
  return false;
}

// Truth the way a shell user expects of a parameter's text: "false", "False", "0" and "" are false
// (task outputs arrive as text).
bool truthy(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    return !s.empty() && s != "false" && s != "False" && s != "0";
  }
  return !v.is_null() && !v.empty();
}

std::string as_text(const Json& v) { return render_param(v); }

Result<Json> eval(const Node& n, const Expr::Resolver& resolve) {
  switch (n.kind) {
    case Node::Kind::kLiteral:
      return n.literal;
    case Node::Kind::kRef:
      return resolve(n.ref);
    case Node::Kind::kNot: {
      auto v = eval(*n.lhs, resolve);
      if (!v.ok()) return v;
      return Json(!truthy(*v));
    }
    case Node::Kind::kAnd:
    case Node::Kind::kOr: {
      auto l = eval(*n.lhs, resolve);
      if (!l.ok()) return l;
      bool lt = truthy(*l);
      if (n.kind == Node::Kind::kAnd && !lt) return Json(false);
      if (n.kind == Node::Kind::kOr && lt) return Json(true);
      auto r = eval(*n.rhs, resolve);
      if (!r.ok()) return r;
      return Json(truthy(*r));
    }
    case Node::Kind::kCmp: {
      auto l = eval(*n.lhs, resolve);
      if (!l.ok()) return l;
      auto r = eval(*n.rhs, resolve);
      if (!r.ok()) return r;
      int cmp;
      double a, b;
      // Booleans compare by truth, numbers (or numeric text, as task outputs arrive) by value,
      // anything else as text.
      if (l->is_boolean() || r->is_boolean()) {
        cmp = truthy(*l) == truthy(*r) ? 0 : 1;
        if (n.op != "==" && n.op != "!=")
          return InvalidInput("'" + n.op + "' cannot order booleans");
      } else if (as_number(*l, &a) && as_number(*r, &b)) {
        cmp = a < b ? -1 : a > b ? 1 : 0;
      } else {
        cmp = as_text(*l).compare(as_text(*r));
        cmp = cmp < 0 ? -1 : cmp > 0 ? 1 : 0;
      }
      bool res = n.op == "=="   ? cmp == 0
                 : n.op == "!=" ? cmp != 0
                 : n.op == "<"  ? cmp < 0
                 : n.op == "<=" ? cmp <= 0
                 : n.op == ">"  ? cmp > 0
                                : cmp >= 0;
      return Json(res);
    }
  }
  return InvalidInput("bad expression");
}

}  // namespace

Result<Expr> Expr::parse(const std::string& text) {
  Expr e;
  e.text_ = text;
  Parser p(e.text_, &e.refs_);
  auto root = p.parse();
  if (!root.ok()) return root.status();
  e.root_ = *root;
  return e;
}

Result<bool> Expr::evaluate(const Resolver& resolve) const {
  if (!root_) return InvalidInput("empty condition");
  auto v = eval(*root_, resolve);
  if (!v.ok()) return v.status();
  return truthy(*v);
}

}  // namespace slipway::spec
