#!/usr/bin/env python3
"""Checks Kubernetes manifests against the official schemas, the way kubectl-validate does.

usage: k8s_schema_check.py SCHEMA_DIR FILE...   (FILE: YAML, multi-document YAML, or JSON)

SCHEMA_DIR holds the Kubernetes OpenAPI v3 documents (api/v1, apps/v1, batch/v1, rbac) and CRDs
(MPIJob, PyTorchJob, InferenceService), optionally .xz-compressed. Each object is found by its
apiVersion and kind and walked against its schema. Stricter than plain JSON Schema, as the API
server's strict field validation is: a field the schema does not name is an error (unless the
schema preserves unknown fields), as are wrong types, missing required fields, values outside an
enum, and names or labels the API server would reject. Every error gives the field's path.
Prints one line per object; exits 1 when any object is invalid.
"""
import json, lzma, os, re, sys

import yaml

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def read(path):
    data = lzma.open(path).read() if path.endswith(".xz") else open(path, "rb").read()
    return data.decode()


class Schemas:
    def __init__(self, folder):
        self.by_gvk = {}   # (group, version, kind) -> (schema, components)
        for name in sorted(os.listdir(folder)):
            p = os.path.join(folder, name)
            base = name[:-3] if name.endswith(".xz") else name
            if base.endswith(".json"):
                doc = json.loads(read(p))
                comps = doc.get("components", {}).get("schemas", {})
                for s in comps.values():
                    for gvk in s.get("x-kubernetes-group-version-kind", []):
                        self.by_gvk[(gvk["group"], gvk["version"], gvk["kind"])] = (s, comps)
            elif base.endswith(".yaml"):
                crd = yaml.safe_load(read(p))
                if crd.get("kind") != "CustomResourceDefinition":
                    continue
                for v in crd["spec"]["versions"]:
                    self.by_gvk[(crd["spec"]["group"], v["name"], crd["spec"]["names"]["kind"])] = (
                        v["schema"]["openAPIV3Schema"], {})

    def find(self, api_version, kind):
        group, _, version = api_version.rpartition("/")
        return self.by_gvk.get((group, version, kind))


class Walker:
    def __init__(self, comps):
        self.comps = comps
        self.errors = []

    def resolve(self, s):
        while True:
            if "$ref" in s:
                s = dict(self.comps[s["$ref"].split("/")[-1]], **{k: v for k, v in s.items() if k != "$ref"})
            elif "allOf" in s and len(s["allOf"]) == 1 and "$ref" in s["allOf"][0]:
                rest = {k: v for k, v in s.items() if k != "allOf"}
                s = dict(rest, **{"$ref": s["allOf"][0]["$ref"]})
            else:
                return s

    def err(self, path, msg):
        self.errors.append("%s: %s" % (path or "(root)", msg))

    def walk(self, v, s, path):
        s = self.resolve(s)
        if v is None:
            if not s.get("nullable"):
                self.err(path, "null is not allowed")
            return
        if "oneOf" in s or "anyOf" in s:
            branches = s.get("oneOf") or s.get("anyOf")
            if not any(self.quiet(v, b) for b in branches) and not s.get("type"):
                self.err(path, "%r matches none of its allowed forms" % (v,))
                return
        if s.get("x-kubernetes-int-or-string"):
            if not (isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))):
                self.err(path, "must be an integer or a string, not %s" % type(v).__name__)
            return
        t = s.get("type")
        if t == "object" or (t is None and ("properties" in s or "additionalProperties" in s)):
            if not isinstance(v, dict):
                self.err(path, "must be an object, not %s" % type(v).__name__)
                return
            props = s.get("properties", {})
            for req in s.get("required", []):
                if req not in v:
                    self.err(path, "required field '%s' is missing" % req)
            extra = s.get("additionalProperties")
            for k, val in v.items():
                p = "%s.%s" % (path, k) if path else k
                if k in props:
                    self.walk(val, props[k], p)
                elif isinstance(extra, dict):
                    self.walk(val, extra, p)
                elif not s.get("x-kubernetes-preserve-unknown-fields") and extra is not True and (props or extra is False):
                    self.err(p, "unknown field (allowed: %s)" % ", ".join(sorted(props)))
        elif t == "array":
            if not isinstance(v, list):
                self.err(path, "must be a list, not %s" % type(v).__name__)
                return
            for i, item in enumerate(v):
                self.walk(item, s.get("items", {}), "%s[%d]" % (path, i))
        elif t == "string":
            if not isinstance(v, str):
                self.err(path, "must be a string, not %s %r" % (type(v).__name__, v))
            elif "maxLength" in s and len(v) > s["maxLength"]:
                self.err(path, "longer than %d characters" % s["maxLength"])
            elif "pattern" in s and not re.search(s["pattern"], v):
                self.err(path, "%r does not match %s" % (v, s["pattern"]))
        elif t == "integer":
            if not isinstance(v, int) or isinstance(v, bool):
                self.err(path, "must be an integer, not %s %r" % (type(v).__name__, v))
            else:
                if "minimum" in s and v < s["minimum"]:
                    self.err(path, "%d is below the minimum %s" % (v, s["minimum"]))
                if "maximum" in s and v > s["maximum"]:
                    self.err(path, "%d is above the maximum %s" % (v, s["maximum"]))
        elif t == "number":
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                self.err(path, "must be a number, not %s" % type(v).__name__)
        elif t == "boolean":
            if not isinstance(v, bool):
                self.err(path, "must be true or false, not %r" % (v,))
        if "enum" in s and v not in s["enum"]:
            self.err(path, "%r is not one of %s" % (v, s["enum"]))

    def quiet(self, v, s):
        w = Walker(self.comps)
        w.walk(v, s, "")
        return not w.errors


def check_names(obj, walker):
    meta = obj.get("metadata", {})
    name = meta.get("name", "")
    limit = 63 if obj.get("kind") in ("Job", "PyTorchJob", "MPIJob", "InferenceService", "Service") else 253
    pattern = DNS_LABEL if limit == 63 else DNS_SUBDOMAIN
    if not pattern.match(name) or len(name) > limit:
        walker.err("metadata.name", "%r is not a valid name (DNS-1123, at most %d characters)" % (name, limit))

    def labels(m, where):
        for k, v in (m or {}).items():
            prefix, _, key = k.rpartition("/")
            if (prefix and not DNS_SUBDOMAIN.match(prefix)) or not QUALIFIED_NAME.match(key) or len(key) > 63:
                walker.err(where + "." + k, "invalid label key")
            if not isinstance(v, str) or len(v) > 63 or not LABEL_VALUE.match(v):
                walker.err(where + "." + k, "invalid label value %r" % (v,))

    labels(meta.get("labels"), "metadata.labels")

    def templates(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                p = path + "." + k if path else k
                if k == "template" and isinstance(v, dict):
                    labels(v.get("metadata", {}).get("labels"), p + ".metadata.labels")
                    for i, c in enumerate(v.get("spec", {}).get("containers", [])):
                        if not DNS_LABEL.match(c.get("name", "")):
                            walker.err("%s.spec.containers[%d].name" % (p, i), "invalid container name")
                templates(v, p)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                templates(v, "%s[%d]" % (path, i))

    templates(obj.get("spec", {}), "spec")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    schemas = Schemas(argv[0])
    bad = 0
    count = 0
    for f in argv[1:]:
        text = read(f)
        docs = [json.loads(text)] if f.endswith(".json") else [d for d in yaml.safe_load_all(text) if d]
        for obj in docs:
            count += 1
            what = "%s %s/%s" % (f, obj.get("kind"), obj.get("metadata", {}).get("name"))
            found = schemas.find(obj.get("apiVersion", ""), obj.get("kind", ""))
            if not found:
                print("INVALID %s: no schema for apiVersion %r kind %r" % (what, obj.get("apiVersion"), obj.get("kind")))
                bad += 1
                continue
            w = Walker(found[1])
            w.walk(obj, found[0], "")
            check_names(obj, w)
            if w.errors:
                bad += 1
                for e in w.errors:
                    print("INVALID %s: %s" % (what, e))
            else:
                print("valid %s" % what)
    print("%d of %d objects valid" % (count - bad, count))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
