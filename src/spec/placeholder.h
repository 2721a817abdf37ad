// Placeholders: the {{...}} references of the native pipeline format, in task input bindings,
// component command/args, and `when:` expressions. See docs/pipeline-spec.md for the grammar.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "core/status.h"

namespace slipway::spec {

struct Ref {
  enum class Scope {
    kParam,          // params.NAME                 pipeline parameter
    kTaskOutput,     // tasks.TASK.outputs.NAME      upstream output (a list when TASK fans out)
    kTaskStatus,     // tasks.TASK.status            SUCCEEDED/FAILED/SKIPPED... (exit handlers)
    kItem,           // item, item.FIELD             the current fan-out item
                     // loops.LOOP.item[.FIELD]      the item of an enclosing loop
    kInput,          // inputs.NAME[.path|.uri|.value]   inside a component
    kOutput,         // outputs.NAME[.path|.uri]          inside a component
    kRun,            // run.id, run.status, run.root
    kTask,           // task.name, task.attempt, task.index
    kPipeline,       // pipeline.name
    kExecutorInput,  // executor.input   KFP's ExecutorInput JSON (inside a component)
  };
  Scope scope = Scope::kParam;
  std::string task;   // kTaskOutput, kTaskStatus
  std::string name;   // parameter/output/input name, or the run/task/pipeline attribute
  std::string field;  // path|uri|value for artifacts; FIELD of an item
  std::string loop;   // kItem: the loop whose item is read; "" for the task's innermost loop
  std::string text;   // the reference as written, for messages
  // {{tasks.a.outputs.x | tasks.b.outputs.y}}: the output of the first of these tasks that
  // succeeded (KFP's dsl.OneOf over the branches of an if/elif/else). This Ref is the first
  // alternative; all of them, itself included, are listed here.
  std::vector<Ref> alternatives;

  std::string to_string() const { return text; }
};

// A string with zero or more placeholders: literal text and references, in order.
struct Template {
  struct Part {
    bool is_ref = false;
    std::string literal;
    Ref ref;
    size_t offset = 0;  // byte offset of the part in the source string, for error columns
  };
  std::vector<Part> parts;

  bool has_refs() const;
  // True when the whole string is exactly one placeholder: its value passes through typed
  // (an int stays an int, an artifact stays an artifact) instead of being rendered to text.
  bool is_single_ref() const { return parts.size() == 1 && parts[0].is_ref; }
};

Result<Ref> parse_ref(const std::string& text);

// Errors carry the byte offset of the bad placeholder in `offset_out` so callers can report a
// column.
Result<Template> parse_template(const std::string& text, size_t* offset_out = nullptr);

}  // namespace slipway::spec
