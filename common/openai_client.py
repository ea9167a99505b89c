"""One OpenAI-compatible chat-completions client: the extraction labeler, the LLM judge and endpoint
scoring all send their requests through it.

`ChatClient.chat` POSTs the request as JSON to `{base_url}/chat/completions` (stdlib HTTP, so no
retry happens that is not this module's) and retries, after `backoff_s * 2**attempt` seconds, what
may pass: a connection error or timeout, HTTP 429 and 5xx. Any other 4xx is the request's fault and
fails at once with the server's message. With a `ResponseCache` every answer is kept on disk, one
JSON file per request under the sha256 of the request, written atomically: a killed run resumes where
it stopped and a rerun of the same requests sends none and returns the same text.
"""
from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from common.io import dumps_json, sha256_bytes, write_text


class ChatError(RuntimeError):
    """No usable answer: the request was refused (4xx), or still failed after every retry."""

    def __init__(self, message: str, status: int | None, attempts: int) -> None:
        super().__init__(message)
        self.status = status      # the last HTTP status; None for a connection error or timeout
        self.attempts = attempts  # requests sent, retries included


@dataclass(frozen=True)
class ChatResponse:
    text: str                       # the first choice's message content ("" when it has none)
    finish_reason: str | None
    prompt_tokens: int | None       # None when the server reports no usage (and for a cache hit)
    completion_tokens: int | None
    latency_s: float                # first attempt to answer, retries included (0 for a cache hit)
    attempts: int                   # requests sent (0: answered from the cache)

    @property
    def cached(self) -> bool:
        return self.attempts == 0


class ResponseCache:
    """One JSON object per answered request, `<directory>/<key[:2]>/<key>.json`, written atomically.

    `dumps` writes an entry; it defaults to the canonical `common.io.dumps_json` (a caller whose
    files predate it passes its own so that existing caches stay valid, byte for byte)."""

    def __init__(self, directory: str | Path, dumps: Callable[[Any], str] = dumps_json) -> None:
        self.directory = Path(directory)
        self.dumps = dumps

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.path(key)
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def put(self, key: str, entry: Mapping[str, Any]) -> None:
        write_text(self.path(key), self.dumps(entry))


def _error_detail(body: bytes) -> str:
    """The server's own message: OpenAI's {"error": {"message"}}, else the start of the body."""
    text = body.decode("utf-8", "replace").strip()
    try:
        error = json.loads(text).get("error")
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return str(message)
    except (ValueError, AttributeError):
        pass
    return text[:300] or "(empty body)"


class ChatClient:
    """Chat completions from one OpenAI-compatible server, retried and optionally cached (module docstring).

    The API key is read from the environment variable `api_key_env` and sent as a bearer token; with
    no such variable set nothing is sent (local servers such as factory.serving, vLLM or Ollama need
    none). `timeout_s` bounds connecting and each wait for data, like the openai client's timeout.
    """

    def __init__(self, base_url: str, *, api_key_env: str | None = None, timeout_s: float = 60.0,
                 max_retries: int = 3, backoff_s: float = 0.5, cache: ResponseCache | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not base_url:
            raise ValueError("an OpenAI-compatible endpoint needs a base_url")
        if int(max_retries) < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self.base_url = base_url
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.api_key = os.environ.get(api_key_env) if api_key_env else None
        self.timeout_s = float(timeout_s)
        self.max_retries = int(max_retries)
        self.backoff_s = float(backoff_s)
        self.cache = cache
        self.sleep = sleep

    def request_key(self, request: Mapping[str, Any]) -> str:
        """The default cache key: sha256 of the server and the canonical JSON of the request."""
        return sha256_bytes((self.base_url + "\n" + dumps_json(dict(request))).encode("utf-8"))

    def chat(self, request: Mapping[str, Any], *, cache_key: str | None = None,
             cache_record: Mapping[str, Any] | None = None) -> ChatResponse:
        """The answer to `request` (model, messages, max_tokens, temperature, ...), from the cache when
        it has one. The cache entry is `cache_record` (default: {"request": request}) plus "content";
        `cache_key` replaces `request_key(request)` for a caller with its own keys."""
        key = None
        if self.cache is not None:
            key = cache_key or self.request_key(request)
            hit = self.cache.get(key)
            if hit is not None:
                return ChatResponse(hit["content"], None, None, None, 0.0, 0)
        response = self._send(request)
        if self.cache is not None:
            record = dict(cache_record) if cache_record is not None else {"request": dict(request)}
            self.cache.put(key, {**record, "content": response.text})
        return response

    def _send(self, request: Mapping[str, Any]) -> ChatResponse:
        body = json.dumps(dict(request), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        start = time.perf_counter()
        for attempt in range(self.max_retries + 1):
            status = None
            try:
                with urllib.request.urlopen(urllib.request.Request(self.url, data=body, headers=headers, method="POST"),
                                            timeout=self.timeout_s) as answer:
                    payload = answer.read()
                return self._parse(payload, time.perf_counter() - start, attempt + 1)
            except urllib.error.HTTPError as exc:
                status = exc.code
                problem = f"HTTP {status}: {_error_detail(exc.read())}"
                transient = status == 429 or status >= 500
            except TimeoutError:
                problem, transient = f"timed out after {self.timeout_s:g}s", True
            except urllib.error.URLError as exc:
                reason = exc.reason
                timed_out = isinstance(reason, TimeoutError)
                problem = f"timed out after {self.timeout_s:g}s" if timed_out else f"connection failed: {reason}"
                transient = True
            except (ConnectionError, http.client.HTTPException) as exc:
                problem, transient = f"connection failed: {type(exc).__name__}: {exc}", True
            attempts = attempt + 1
            if not transient or attempt == self.max_retries:
                tried = f"after {attempts} attempt{'s' if attempts > 1 else ''}" if transient else "not retried"
                raise ChatError(f"{self.url}: {problem} ({tried})", status, attempts)
            self.sleep(self.backoff_s * 2 ** attempt)
        raise AssertionError("unreachable")

    def _parse(self, payload: bytes, latency_s: float, attempts: int) -> ChatResponse:
        try:
            data = json.loads(payload)
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ChatError(f"{self.url}: the answer is not a chat completion ({type(exc).__name__}): "
                            f"{payload[:200]!r}", 200, attempts) from exc
        return ChatResponse(text, choice.get("finish_reason"), usage.get("prompt_tokens"),
                            usage.get("completion_tokens"), latency_s, attempts)
