"""Serve a local HF checkpoint folder through the OpenAI chat-completions API.

    python -m factory.serving --model data/models/sft --host 127.0.0.1 --port 8000

exposes `GET /v1/models` and `POST /v1/chat/completions` (temperature, top_p, max_tokens /
max_completion_tokens, n, seed, stop; usage token counts; other fields such as response_format are
accepted and ignored, no streaming), so that any OpenAI client (an app, the
insights judge, the benchmark's endpoint baselines) can talk to a trained checkpoint. `ChatModel` is
also what the `score` stage uses in-process, and it decodes with `factory.generation.complete`, as the
SFT samples do, so a served, a scored and a sampled model decode identically.
Standard library HTTP only: one model, one request generating at a time (a lock), threads for I/O.
"""
from __future__ import annotations

import argparse
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from factory.generation import Completion, Decoding, complete, neutralize, prompt_ids

log = logging.getLogger("factory.serving")


@dataclass(frozen=True)
class ChatResult:
    prompt_tokens: int
    choices: list[Completion] = field(default_factory=list)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.choices)


class ChatModel:
    """A causal LM and its tokenizer's chat template: messages in, completions out (`factory.generation`)."""

    def __init__(self, model_dir: str | Path, device: str | None = None, cpu_threads: int | None = None) -> None:
        """`cpu_threads` sets torch's intra-op threads for this process (None: torch's default). Small
        models on a shared CPU decode several times faster on one thread than on two."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.cpu_threads = int(cpu_threads) if cpu_threads else None
        if self.cpu_threads:
            torch.set_num_threads(self.cpu_threads)
        self.path = Path(model_dir)
        if not (self.path / "config.json").is_file():
            raise FileNotFoundError(f"{self.path}: not a HF checkpoint folder (no config.json)")
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        if not self.tokenizer.chat_template:
            raise ValueError(f"{self.path}: the tokenizer has no chat template")
        self.model = AutoModelForCausalLM.from_pretrained(self.path, dtype="auto").to(self.device).eval()
        # keep only how to stop and pad, so a request means what it says (see factory.generation)
        self.eos_ids: set[int] = set(neutralize(self.model, self.tokenizer))
        self._lock = threading.Lock()

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        return prompt_ids(self.tokenizer, messages)

    def chat(self, messages: list[dict[str, str]], decoding: Decoding) -> ChatResult:
        """Generate `decoding.n` completions; reseeding under a lock makes a seeded call reproducible."""
        return self.chat_batch([messages], decoding)[0]

    def chat_batch(self, conversations: list[list[dict[str, str]]], decoding: Decoding) -> list[ChatResult]:
        """One left-padded generate call for several conversations, reseeded once for the batch: a
        sampled completion then depends on its batch (a batch of one is `chat`)."""
        import torch

        with self._lock:
            if self.cpu_threads:  # OpenMP's thread count is per calling thread: set it in the server's too
                torch.set_num_threads(self.cpu_threads)
            batches = complete(self.model, self.tokenizer, conversations, decoding, batch_size=len(conversations))
        return [ChatResult(prompt_tokens=len(self.prompt_ids(m)), choices=c) for m, c in zip(conversations, batches)]


class RequestError(ValueError):
    """A client error reported as an OpenAI-shaped 4xx body."""

    def __init__(self, message: str, param: str | None = None, status: HTTPStatus = HTTPStatus.BAD_REQUEST,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.param, self.status, self.code = param, status, code


def _messages(body: dict[str, Any]) -> list[dict[str, str]]:
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise RequestError("'messages' must be a non-empty list", "messages")
    messages = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict) or m.get("role") not in {"system", "user", "assistant", "developer"}:
            raise RequestError(f"messages[{i}] needs a role among system/developer/user/assistant", f"messages[{i}]")
        content = m.get("content")
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
        if not isinstance(content, str):
            raise RequestError(f"messages[{i}].content must be a string or text parts", f"messages[{i}].content")
        role = "system" if m["role"] == "developer" else m["role"]
        messages.append({"role": role, "content": content})
    return messages


def _number(body: dict[str, Any], name: str, default: Any, kind: type) -> Any:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
        raise RequestError(f"'{name}' must be a{'n integer' if kind is int else ' number'}", name)
    return kind(value)


def parse_request(body: dict[str, Any], default_max_tokens: int) -> tuple[list[dict[str, str]], Decoding]:
    """Validate a chat-completions body into messages and decoding parameters."""
    if body.get("stream"):
        raise RequestError("streaming is not supported by this server", "stream")
    stop = body.get("stop") or ()
    stop = (stop,) if isinstance(stop, str) else tuple(stop)
    if not all(isinstance(s, str) for s in stop) or len(stop) > 4:
        raise RequestError("'stop' must be a string or up to 4 strings", "stop")
    max_tokens = _number(body, "max_completion_tokens", None, int)
    max_tokens = max_tokens if max_tokens is not None else _number(body, "max_tokens", default_max_tokens, int)
    fields = dict(
        temperature=_number(body, "temperature", 1.0, float),
        top_p=_number(body, "top_p", 1.0, float),
        max_tokens=max_tokens,
        n=_number(body, "n", 1, int),
        seed=_number(body, "seed", None, int),
        stop=stop,
    )
    try:
        decoding = Decoding(**fields)
    except ValueError as err:  # Decoding's messages start with the field name
        raise RequestError(str(err), str(err).split()[0]) from err
    return _messages(body), decoding


class _Handler(BaseHTTPRequestHandler):
    server: "ChatServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.info("%s %s", self.address_string(), format % args)

    def _send(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, err: RequestError) -> None:
        kind = "invalid_request_error" if err.status < 500 else "server_error"
        self._send(err.status, {"error": {"message": str(err), "type": kind, "param": err.param, "code": err.code}})

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        path = self.path.split("?")[0].rstrip("/")
        if path == "/v1/models":
            self._send(HTTPStatus.OK, {"object": "list", "data": [self.server.model_card()]})
        elif path == "/health":
            self._send(HTTPStatus.OK, {"status": "ok"})
        else:
            self._error(RequestError(f"no route GET {self.path}", status=HTTPStatus.NOT_FOUND))

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?")[0].rstrip("/") != "/v1/chat/completions":
            self._error(RequestError(f"no route POST {self.path}", status=HTTPStatus.NOT_FOUND))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                raise RequestError(f"request body is not JSON: {err}") from err
            if not isinstance(body, dict):
                raise RequestError("request body must be a JSON object")
            self._send(HTTPStatus.OK, self.server.complete(body))
        except RequestError as err:
            self._error(err)
        except Exception as err:  # a generation failure must answer, not hang the client
            log.exception("generation failed")
            self._error(RequestError(f"{type(err).__name__}: {err}", status=HTTPStatus.INTERNAL_SERVER_ERROR))


class ChatServer(ThreadingHTTPServer):
    """An HTTP server bound to one ChatModel under one public model name."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], model: ChatModel, name: str, default_max_tokens: int = 256) -> None:
        super().__init__(address, _Handler)
        self.model, self.name, self.default_max_tokens = model, name, default_max_tokens
        self.created = int(time.time())

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def model_card(self) -> dict[str, Any]:
        return {"id": self.name, "object": "model", "created": self.created, "owned_by": "commerce-factory"}

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("model") not in (self.name, None):
            raise RequestError(f"model {body.get('model')!r} is not served here (serving {self.name!r})",
                               "model", HTTPStatus.NOT_FOUND, "model_not_found")
        messages, decoding = parse_request(body, self.default_max_tokens)
        try:
            result = self.model.chat(messages, decoding)
        except ValueError as err:  # e.g. prompt longer than the context
            raise RequestError(str(err), "messages") from err
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.name,
            "choices": [
                {"index": i, "message": {"role": "assistant", "content": c.text},
                 "finish_reason": c.finish_reason, "logprobs": None}
                for i, c in enumerate(result.choices)
            ],
            "usage": {
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "total_tokens": result.prompt_tokens + result.completion_tokens,
            },
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m factory.serving", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="HF checkpoint folder, e.g. data/models/sft")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (printed on start)")
    parser.add_argument("--served-model-name", help="the `model` clients send (default: the folder name)")
    parser.add_argument("--max-tokens", type=int, default=256, help="default when a request sets none")
    parser.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    parser.add_argument("--cpu-threads", type=int, help="torch CPU threads (default: torch's; 1 is fastest for tiny models)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    model = ChatModel(args.model, device=args.device, cpu_threads=args.cpu_threads)
    name = args.served_model_name or model.path.resolve().name
    server = ChatServer((args.host, args.port), model, name, args.max_tokens)
    print(f"Serving {name} at {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
