// /apis/v2beta1/pipelines: create (with or without a first version), the multipart upload of a
// compiled file (upload, upload_version), get, get by name, list, delete; and the versions of
// each: create, get, list, delete. A version keeps the file's text, checked on the way in.
#include "api/kfp_api.h"
#include "api/kfp_list.h"
#include "api/kfp_wire.h"
#include "api/multipart.h"
#include "core/clock.h"

namespace slipway::api::kfp {

namespace {

const KeyMap& pipeline_keys() {
  using K = KeyColumn::Kind;
  static const KeyMap kKeys = {{"pipeline_id", {"id"}},
                               {"id", {"id"}},
                               {"display_name", {"display_name"}},
                               {"name", {"name"}},
                               {"description", {"description"}},
                               {"namespace", {"namespace"}},
                               {"created_at", {"created_ms", K::kTime}}};
  return kKeys;
}

const KeyMap& version_keys() {
  using K = KeyColumn::Kind;
  static const KeyMap kKeys = {
      {"pipeline_version_id", {"id"}},    {"id", {"id"}},
      {"display_name", {"display_name"}}, {"name", {"name"}},
      {"description", {"description"}},   {"created_at", {"created_ms", K::kTime}}};
  return kKeys;
}

Result<store::PipelineRecord> visible_pipeline(Ctx& c, const std::string& id) {
  auto p = c.store.get_pipeline(id);
  if (p.ok() && !c.who.can_access(p->ns)) return NotFound("no pipeline with id '" + id + "'");
  return p;
}

// A file's text checked as a pipeline: what a version keeps. Archives are refused by name.
Result<std::string> checked_text(const std::string& text, const std::string& file) {
  if (text.rfind("\x1f\x8b", 0) == 0 || text.rfind("PK\x03\x04", 0) == 0)
    return InvalidInput(file +
                        " is an archive (.tar.gz or .zip); upload the compiled pipeline's YAML "
                        "itself");
  auto name = runs::check_pipeline(text, file);
  if (!name.ok()) return name.status();
  return text;
}

store::PipelineRecord new_pipeline(const std::string& name, const std::string& display_name,
                                   const std::string& description, const std::string& ns) {
  store::PipelineRecord p;
  p.id = random_uuid();
  p.ns = ns;
  p.name = name;
  p.display_name = display_name.empty() ? name : display_name;
  p.description = description;
  p.created_ms = now_ms();
  return p;
}

Result<store::PipelineVersionRecord> add_version(Ctx& c, const store::PipelineRecord& p,
                                                 const Json& body) {
  if (Status st = check_fields(
          body, "pipeline_version",
          {"pipeline_id", "pipeline_version_id", "display_name", "name", "description",
           "created_at", "package_url", "code_source_url", "pipeline_spec", "error", "tags"});
      !st.ok())
    return st;
  if (!body.contains("pipeline_spec") || !body["pipeline_spec"].is_object())
    return InvalidInput(
        "a pipeline version needs its pipeline_spec (the compiled pipeline as a JSON object); "
        "package_url is not fetched by this server, so upload the file instead "
        "(POST /apis/v2beta1/pipelines/upload_version)");
  auto text = checked_text(pipeline_spec_text(body["pipeline_spec"]), p.name + ".yaml");
  if (!text.ok()) return text.status();
  store::PipelineVersionRecord v;
  v.id = random_uuid();
  v.pipeline_id = p.id;
  v.name = body.value("name", "");
  if (v.name.empty()) v.name = body.value("display_name", "");
  if (v.name.empty()) v.name = p.name + "-" + iso8601_ms(now_ms());
  v.display_name = body.value("display_name", v.name);
  v.description = body.value("description", "");
  v.code_source_url = body.value("code_source_url", "");
  v.source = *text;
  v.created_ms = now_ms();
  SLIPWAY_RETURN_IF_ERROR(c.store.insert_pipeline_version(v));
  return v;
}

Result<store::PipelineRecord> create_pipeline(Ctx& c, const Json& body) {
  if (Status st = check_fields(body, "pipeline",
                               {"pipeline_id", "display_name", "name", "description", "created_at",
                                "namespace", "error", "tags"});
      !st.ok())
    return st;
  std::string name = body.value("name", "");
  if (name.empty()) name = body.value("display_name", "");
  if (name.empty()) return InvalidInput("a pipeline needs a name or display_name");
  auto ns = namespace_for(c.who, body.value("namespace", ""), /*listing=*/false);
  if (!ns.ok()) return ns.status();
  store::PipelineRecord p =
      new_pipeline(name, body.value("display_name", ""), body.value("description", ""),
                   ns->empty() ? "default" : *ns);
  SLIPWAY_RETURN_IF_ERROR(c.store.insert_pipeline(p));
  return p;
}

// The uploaded file of a multipart request (field "uploadfile", as KFP names it).
Result<FormPart> uploaded_file(const ApiRequest& r) {
  auto parts = parse_multipart(r.content_type, r.body);
  if (!parts.ok()) return parts.status();
  for (auto& p : *parts)
    if (p.name == "uploadfile") return p;
  return InvalidInput("the upload has no form field 'uploadfile' holding the pipeline file");
}

std::string stem(const std::string& filename) {
  std::string base = filename.substr(filename.find_last_of('/') + 1);
  for (const char* ext : {".yaml", ".yml", ".json"})
    if (base.size() > std::string(ext).size() &&
        base.compare(base.size() - std::string(ext).size(), std::string::npos, ext) == 0)
      return base.substr(0, base.size() - std::string(ext).size());
  return base;
}

Response upload(Ctx& c) {
  auto file = uploaded_file(c.req);
  if (!file.ok()) return error(file.status());
  std::string name = c.req.param("name", c.req.param("display_name"));
  if (name.empty()) name = stem(file->filename);
  if (name.empty()) return error(InvalidInput("the upload needs ?name= or a file name"));
  auto text = checked_text(file->data, file->filename.empty() ? name + ".yaml" : file->filename);
  if (!text.ok()) return error(text.status());
  auto ns = namespace_for(c.who, c.req.param("namespace"), /*listing=*/false);
  if (!ns.ok()) return error(ns.status());
  store::PipelineRecord p = new_pipeline(name, c.req.param("display_name"),
                                         c.req.param("description"), ns->empty() ? "default" : *ns);
  if (Status st = c.store.begin(); !st.ok()) return error(st);
  Status st = c.store.insert_pipeline(p);
  store::PipelineVersionRecord v;
  if (st.ok()) {
    // The first version carries the pipeline's name, as KFP's upload does.
    v.id = random_uuid();
    v.pipeline_id = p.id;
    v.name = p.name;
    v.display_name = p.display_name;
    v.description = p.description;
    v.source = *text;
    v.created_ms = p.created_ms;
    st = c.store.insert_pipeline_version(v);
  }
  if (st.ok()) st = c.store.commit();
  if (!st.ok()) {
    (void)c.store.rollback();  // safe: nothing of the upload is kept either way
    return error(st);
  }
  return ok(pipeline_json(p));
}

Response upload_version(Ctx& c) {
  auto file = uploaded_file(c.req);
  if (!file.ok()) return error(file.status());
  auto p = visible_pipeline(c, c.req.param("pipelineid"));
  if (!p.ok()) return error(p.status());
  auto text = checked_text(file->data, file->filename.empty() ? p->name + ".yaml" : file->filename);
  if (!text.ok()) return error(text.status());
  store::PipelineVersionRecord v;
  v.id = random_uuid();
  v.pipeline_id = p->id;
  v.name = c.req.param("name", c.req.param("display_name"));
  if (v.name.empty()) v.name = stem(file->filename);
  v.display_name = c.req.param("display_name", v.name);
  v.description = c.req.param("description");
  v.code_source_url = c.req.param("code_source_url");
  v.source = *text;
  v.created_ms = now_ms();
  if (Status st = c.store.insert_pipeline_version(v); !st.ok()) return error(st);
  return ok(pipeline_version_json(v, /*with_spec=*/false));
}

Response versions(Ctx& c, const store::PipelineRecord& p, const KfpPath& path) {
  const std::string& m = c.req.method;
  if (path.path.size() == 3) {
    if (m == "POST") {
      auto body = body_object(c.req);
      if (!body.ok()) return error(body.status());
      auto v = add_version(c, p, *body);
      if (!v.ok()) return error(v.status());
      return ok(pipeline_version_json(*v, /*with_spec=*/true));
    }
    if (m != "GET") return not_allowed(c.req, "GET or POST");
    auto q = list_query(c.req, version_keys());
    if (!q.ok()) return error(q.status());
    auto page = c.store.query_pipeline_versions(*q, p.id);
    if (!page.ok()) return error(page.status());
    auto to_json = [](const store::PipelineVersionRecord& v) {
      return pipeline_version_json(v, false);
    };
    return ok(list_response(*q, *page, "pipeline_versions", to_json));
  }
  auto v = c.store.get_pipeline_version(path.path[3]);
  if (!v.ok() || v->pipeline_id != p.id)
    return error(NotFound("pipeline " + p.id + " has no version '" + path.path[3] + "'"));
  if (m == "GET") return ok(pipeline_version_json(*v, /*with_spec=*/true));
  if (m == "DELETE") {
    if (Status st = c.store.delete_pipeline_version(v->id); !st.ok()) return error(st);
    return ok(Json::object());
  }
  return not_allowed(c.req, "GET or DELETE");
}

}  // namespace

Response pipelines_route(Ctx& c, const KfpPath& p) {
  const std::string& m = c.req.method;
  const auto& s = p.path;
  if (s.size() == 1) {
    if (m == "POST") {
      auto body = body_object(c.req);
      if (!body.ok()) return error(body.status());
      auto created = create_pipeline(c, *body);
      if (!created.ok()) return error(created.status());
      return ok(pipeline_json(*created));
    }
    if (m != "GET") return not_allowed(c.req, "GET or POST");
    auto ns = namespace_for(c.who, c.req.param("namespace"), /*listing=*/true);
    if (!ns.ok()) return error(ns.status());
    auto q = list_query(c.req, pipeline_keys());
    if (!q.ok()) return error(q.status());
    auto page = c.store.query_pipelines(*q, *ns);
    if (!page.ok()) return error(page.status());
    return ok(list_response(*q, *page, "pipelines", pipeline_json));
  }
  if (s.size() == 2 && (s[1] == "upload" || s[1] == "upload_version" || s[1] == "create")) {
    if (m != "POST") return not_allowed(c.req, "POST");
    if (s[1] == "upload") return upload(c);
    if (s[1] == "upload_version") return upload_version(c);
    auto body = body_object(c.req);
    if (!body.ok()) return error(body.status());
    if (Status st = check_fields(*body, "request", {"pipeline", "pipeline_version"}); !st.ok())
      return error(st);
    if (Status st = c.store.begin(); !st.ok()) return error(st);
    auto created = create_pipeline(c, body->value("pipeline", Json::object()));
    Result<store::PipelineVersionRecord> v =
        created.ok() ? add_version(c, *created, body->value("pipeline_version", Json::object()))
                     : Result<store::PipelineVersionRecord>(created.status());
    Status done = v.ok() ? c.store.commit() : v.status();
    if (!done.ok()) {
      (void)c.store.rollback();  // safe: nothing of the request is kept either way
      return error(done);
    }
    return ok(pipeline_json(*created));
  }
  if (s.size() == 3 && s[1] == "names") {
    if (m != "GET") return not_allowed(c.req, "GET");
    auto ns = namespace_for(c.who, c.req.param("namespace"), /*listing=*/false);
    if (!ns.ok()) return error(ns.status());
    auto found = c.store.find_pipeline(ns->empty() ? "default" : *ns, s[2]);
    if (!found.ok()) return error(found.status());
    return ok(pipeline_json(*found));
  }
  auto pipeline = visible_pipeline(c, s[1]);
  if (!pipeline.ok()) return error(pipeline.status());
  if (s.size() == 2) {
    if (m == "GET") return ok(pipeline_json(*pipeline));
    if (m == "DELETE") {
      if (Status st = c.store.delete_pipeline(pipeline->id, c.req.param("cascade") == "true");
          !st.ok())
        return error(st);
      return ok(Json::object());
    }
    return not_allowed(c.req, "GET or DELETE");
  }
  if ((s.size() == 3 || s.size() == 4) && s[2] == "versions") return versions(c, *pipeline, p);
  return error(NotFound("no such endpoint: " + c.req.path));
}

}  // namespace slipway::api::kfp
