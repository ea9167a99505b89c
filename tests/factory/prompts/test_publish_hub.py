"""`python -m stages.publish --repo-id ORG/NAME` against a real HTTP server speaking the Hub's API.

No network here, so the test starts `LocalHub`: a small local stand-in for the parts of the Hugging
Face Hub HTTP API that `huggingface_hub` and `datasets` call to push and load a dataset repo (create
repo, YAML validation, preupload, LFS batch upload, commit, tree, resolve). It stores what it gets in
memory. The client code is the real one, unchanged, pointed at it with HF_ENDPOINT; the Hub's Xet
upload protocol is switched off (HF_HUB_DISABLE_XET=1) so uploads take the LFS path this server speaks.
The push is then loaded back with `datasets.load_dataset("org/name")`.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, unquote, urlparse

import datasets
import pytest
from huggingface_hub import DatasetCard

REPO = Path(__file__).resolve().parents[3]


class LocalHub:
    """The repos pushed so far: files per repo (in memory), a commit sha over them, uploaded LFS objects."""

    def __init__(self):
        self.repos = {}  # repo_id -> {"files": {path: bytes}, "sha": str}
        self.lfs = {}    # sha256 -> bytes uploaded through the LFS batch API
        self.log = []

    def commit(self, repo_id, files, deleted):
        repo = self.repos[repo_id]
        for p in deleted:
            repo["files"] = {k: v for k, v in repo["files"].items() if not (k == p or k.startswith(p.rstrip("/") + "/"))}
        repo["files"].update(files)
        repo["sha"] = hashlib.sha1(json.dumps(sorted((k, hashlib.sha256(v).hexdigest()) for k, v in repo["files"].items())).encode()).hexdigest()
        return repo["sha"]


def _entry(path, data):
    return {"type": "file", "path": path, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}


class Handler(BaseHTTPRequestHandler):
    """The Hub API routes the push and the load use; anything else answers 404 with the Hub's error header."""

    hub: LocalHub = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _send(self, code, body=b"", ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _missing(self, what="RepoNotFound"):
        self._send(404, {"error": what}, headers={"X-Error-Code": what})

    def handle_any(self):
        url = urlparse(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        self.hub.log.append(f"{self.command} {self.path}")
        hub = self.hub
        base = f"http://{self.headers['Host']}"
        if self.command == "POST" and path == "/api/repos/create":
            req = json.loads(body)
            repo_id = f"{req['organization']}/{req['name']}" if req.get("organization") else req["name"]
            hub.repos.setdefault(repo_id, {"files": {}, "sha": "0" * 40})
            return self._send(200, {"url": f"{base}/datasets/{repo_id}", "name": repo_id})
        if self.command == "POST" and path == "/api/validate-yaml":
            # the Hub checks a card's YAML header; here: it must parse into huggingface_hub's DatasetCardData
            from huggingface_hub import DatasetCard
            try:
                DatasetCard(json.loads(body)["content"])
            except Exception as err:  # noqa: BLE001 - reported to the client like the Hub does
                return self._send(400, {"error": f"Invalid metadata in README.md: {err}"})
            return self._send(200, {"errors": [], "warnings": []})
        m = re.match(r"^/api/datasets/([^/]+/[^/]+)(?:/(preupload|commit|tree|paths-info|revision)/([^/]+)(/.*)?)?$", path)
        if m:
            repo_id, action, rev, rest = m.groups()
            if repo_id not in hub.repos:
                return self._missing()
            repo = hub.repos[repo_id]
            if action in (None, "revision"):
                return self._send(200, {"id": repo_id, "sha": repo["sha"], "private": False,
                                        "siblings": [{"rfilename": p} for p in sorted(repo["files"])]})
            if action == "preupload":
                files = json.loads(body)["files"]
                # like the Hub: binary files go through LFS, text inline
                return self._send(200, {"files": [{"path": f["path"], "shouldIgnore": False,
                                                   "uploadMode": "lfs" if f["path"].endswith(".parquet") else "regular"}
                                                  for f in files]})
            if action == "commit":
                files, deleted = {}, []
                for line in body.decode().splitlines():
                    item = json.loads(line)
                    if item["key"] == "file":
                        files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                    elif item["key"] in ("deletedFile", "deletedFolder"):
                        deleted.append(item["value"]["path"])
                    elif item["key"] == "lfsFile":
                        oid = item["value"]["oid"]
                        if oid not in hub.lfs:
                            return self._send(400, {"error": f"LFS object {oid} was never uploaded"})
                        files[item["value"]["path"]] = hub.lfs[oid]
                sha = hub.commit(repo_id, files, deleted)
                return self._send(200, {"commitUrl": f"{base}/datasets/{repo_id}/commit/{sha}", "commitOid": sha,
                                        "success": True})
            if action == "tree":
                prefix = (rest or "").strip("/")
                entries = [_entry(p, d) for p, d in sorted(repo["files"].items())
                           if not prefix or p.startswith(prefix + "/")]
                if prefix and not entries:
                    return self._missing("EntryNotFound")
                if query.get("recursive", ["false"])[0] not in ("true", "True", "1"):
                    depth = prefix.count("/") + 1 if prefix else 0
                    shown, dirs = [], set()
                    for e in entries:
                        parts = e["path"].split("/")
                        if len(parts) == depth + 1:
                            shown.append(e)
                        else:
                            dirs.add("/".join(parts[:depth + 1]))
                    entries = shown + [{"type": "directory", "path": d, "size": 0, "oid": "0" * 40} for d in sorted(dirs)]
                return self._send(200, entries)
            if action == "paths-info":
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    paths = json.loads(body)["paths"]
                else:
                    paths = parse_qs(body.decode()).get("paths", [])
                out = [_entry(p, repo["files"][p]) for p in paths if p in repo["files"]]
                out += [{"type": "directory", "path": p, "size": 0, "oid": "0" * 40} for p in paths
                        if p not in repo["files"] and any(k.startswith(p.rstrip("/") + "/") for k in repo["files"])]
                return self._send(200, out)
        m = re.match(r"^/datasets/([^/]+/[^/]+)\.git/info/lfs/objects/batch$", path)
        if m and self.command == "POST":
            req = json.loads(body)
            objects = [{"oid": o["oid"], "size": o["size"], "authenticated": True,
                        "actions": {} if o["oid"] in hub.lfs else {"upload": {"href": f"{base}/lfs-upload/{o['oid']}"}}}
                       for o in req["objects"]]
            return self._send(200, {"transfer": "basic", "objects": objects}, "application/vnd.git-lfs+json")
        m = re.match(r"^/lfs-upload/([0-9a-f]{64})$", path)
        if m and self.command == "PUT":
            if hashlib.sha256(body).hexdigest() != m.group(1):
                return self._send(400, {"error": "sha256 mismatch"})
            hub.lfs[m.group(1)] = body
            return self._send(200, b"")
        m = re.match(r"^/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", path)
        if m and self.command in ("GET", "HEAD"):
            repo_id, rev, file = m.groups()
            repo = hub.repos.get(repo_id)
            if repo is None or file not in repo["files"]:
                return self._missing("EntryNotFound")
            data = repo["files"][file]
            return self._send(200, data, "application/octet-stream",
                              {"X-Repo-Commit": repo["sha"], "ETag": f'"{hashlib.sha1(data).hexdigest()}"'})
        return self._missing("NotImplemented")

    do_GET = do_POST = do_HEAD = do_PUT = handle_any


def serve():
    hub = LocalHub()
    Handler.hub = hub
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, hub


@pytest.fixture
def hub() -> Iterator[tuple[str, LocalHub]]:
    srv, state = serve()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", state
    finally:
        srv.shutdown()
        srv.server_close()


def _env(endpoint: str, home: Path) -> dict[str, str]:
    return {**os.environ, "HF_ENDPOINT": endpoint, "HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0",
            "HF_TOKEN": "hf_local_test_token", "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HOME": str(home)}


def test_publish_pushes_the_dataset_and_its_card_and_load_dataset_reads_it_back(prompt_sets, hub, tmp_path):
    endpoint, state = hub
    hf_dir = prompt_sets.root / "hf"
    env = _env(endpoint, tmp_path / "hf_home")
    pushed = subprocess.run([sys.executable, "-m", "stages.publish", "--repo-id", "org/prompts", "--hf-dir", str(hf_dir)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert pushed.returncode == 0, pushed.stderr[-3000:]
    assert f"pushed {hf_dir} to {endpoint}/datasets/org/prompts" in pushed.stdout
    files = state.repos["org/prompts"]["files"]
    assert sorted(files) == ["README.md", "data/benchmark-00000-of-00001.parquet",
                             "data/train-00000-of-00001.parquet", "data/validation-00000-of-00001.parquet"]
    # our card, with the dataset_info that push_to_hub merged into its header
    card = DatasetCard(files["README.md"].decode("utf-8"))
    local = DatasetCard.load(hf_dir / "README.md")
    assert card.text == local.text
    meta = card.data.to_dict()
    assert meta["license"] == "apache-2.0" and meta["language"] == ["pt"]
    assert [s["name"] for s in meta["dataset_info"]["splits"]] == ["train", "validation", "benchmark"]
    assert {f["split"] for f in meta["configs"][0]["data_files"]} == {"train", "validation", "benchmark"}

    code = ("import json, datasets; d = datasets.load_dataset('org/prompts'); "
            "print(json.dumps({s: list(d[s]['id']) for s in d}))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    ids = json.loads(loaded.stdout.strip().splitlines()[-1])
    expected = datasets.load_from_disk(str(hf_dir))
    assert ids == {s: list(expected[s]["id"]) for s in expected}
