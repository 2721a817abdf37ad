// `when:` conditions: a small boolean expression language over placeholders and literals.
//   expr   := or
//   or     := and ('||' and)*        and := unary ('&&' unary)*
//   unary  := '!' unary | cmp        cmp := atom (('=='|'!='|'<'|'<='|'>'|'>=') atom)?
//   atom   := '(' expr ')' | {{ref}} | number | 'string' | "string" | true | false
// Comparisons are numeric when both sides are numbers (or numeric strings), textual otherwise.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spec/placeholder.h"
#include "spec/types.h"

namespace slipway::spec {

class Expr {
 public:
  struct Node;
  static Result<Expr> parse(const std::string& text);

  // Every placeholder the expression reads, so validation can check them and the planner can
  // add the dependencies they imply.
  const std::vector<Ref>& refs() const { return refs_; }
  const std::string& text() const { return text_; }

  using Resolver = std::function<Result<Json>(const Ref&)>;
  Result<bool> evaluate(const Resolver& resolve) const;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
  std::vector<Ref> refs_;
};

}  // namespace slipway::spec
