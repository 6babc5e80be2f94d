"""Judges rendered Kubernetes manifests for tests/tests/k8s.rs.

    manifests.py validate FILE...   every object strictly against its schema; exit 1 on any error
    manifests.py json FILE          the objects as one JSON array (for the test's own checks)

Built-in kinds are checked by kubernetes-validate in strict mode (an unknown field is an
error) against Kubernetes KUBERNETES_VERSION. Custom resources are checked with
jsonschema against k8s/schemas/<group>_<version>_<kind>.json, the fields of the operator
releases docs/operations.md pins (k8s/schemas/README.md); a custom resource without a
schema is an error too.
"""

import json
import pathlib
import sys

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate import utils as kv_utils
from referencing import Registry, Resource

# The oldest Kubernetes the manifests support: the preStop sleep handler is on by
# default from 1.30; 1.33 is what the docs' kind and minikube commands start.
KUBERNETES_VERSION = "1.33"
SCHEMAS = pathlib.Path(__file__).resolve().parents[2] / "k8s" / "schemas"


def load(path):
    with open(path) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def core_registry():
    """The Kubernetes definitions the custom resources' schemas embed (Affinity...)."""
    defs = kv_utils.schema_contents(
        f"kubernetes-json-schema/v{KUBERNETES_VERSION}.0-local-strict/_definitions.json",
        KUBERNETES_VERSION,
    )
    return Resource.from_contents(defs) @ Registry()


def schema_file(doc):
    group_version = doc["apiVersion"]
    if "/" not in group_version:
        return None
    group, version = group_version.split("/", 1)
    return SCHEMAS / f"{group}_{version}_{doc['kind'].lower()}.json"


def is_custom(doc):
    group = doc["apiVersion"].split("/")[0] if "/" in doc["apiVersion"] else ""
    return "." in group and not group.endswith(".k8s.io")


def validate(paths):
    registry = core_registry()
    errors = 0
    count = 0
    for path in paths:
        for doc in load(path):
            count += 1
            name = f"{path}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            if is_custom(doc):
                file = schema_file(doc)
                if not file.exists():
                    print(f"{name}: no schema for {doc['apiVersion']} {doc['kind']} in k8s/schemas")
                    errors += 1
                    continue
                validator = jsonschema.Draft202012Validator(json.loads(file.read_text()), registry=registry)
                for error in validator.iter_errors(doc):
                    where = "/".join(str(p) for p in error.absolute_path)
                    print(f"{name}: {error.message} at {where}")
                    errors += 1
            else:
                try:
                    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
                except kubernetes_validate.ValidationError as error:
                    where = "/".join(str(p) for p in error.path)
                    print(f"{name}: {error.message} at {where}")
                    errors += 1
                except kubernetes_validate.SchemaNotFoundError as error:
                    print(f"{name}: {error}")
                    errors += 1
    print(f"{count} object(s), {errors} error(s)")
    return 1 if errors or not count else 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "validate":
        return validate(argv[1:])
    if len(argv) == 2 and argv[0] == "json":
        json.dump(load(argv[1]), sys.stdout)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
