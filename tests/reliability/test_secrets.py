"""Tokens and the hash secret never leak: not in answers, not in logs, not on disk.

The collector and the API run as real processes with distinctive token and secret values
and the most verbose logging; the test provokes every kind of error it can (wrong and
almost-right tokens, tokens in the wrong place, invalid bodies, a broken snapshot that
makes the API fail with a 500 and a traceback, invalid settings) and then greps every
answer, both logs and every file under the data dir for the values.

Constant-time comparison is a property of the code, not of a timing measurement (too
noisy on a shared 2-core machine to prove anything): the test reads the two places that
compare tokens and checks they use `hmac.compare_digest` over every configured token
without an early exit, and no `==` on a token.
"""

from __future__ import annotations

import ast
import inspect
import shutil
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from api import deps
from ingest import app as ingest_app
from tests.reliability.conftest import Figures
from tests.reliability.procs import REPO, footfall_env, running
from tests.utils.fixtures import BuiltWarehouse
from warehouse import publish
from warehouse.paths import DataPaths

INGEST = "ingest-S3CR3T-7f3a9c41d2"
READ = "read-S3CR3T-1b2c3d4e5f"
ROTATED = "read-S3CR3T-rotated-0a9b"
HASH_KEY = "hashkey-S3CR3T-9e8d7c6b"
SECRETS = (INGEST, READ, ROTATED, HASH_KEY)
# Fragments that would show a partial leak (a prefix, or the secret's distinctive middle).
FRAGMENTS = ("S3CR3T",)


def almost(token: str) -> list[str]:
    return [token[:-1], token + "x", token.upper(), token[1:], " " + token, token + "\x00"]


def provoke_collector(url: str, in_url: bool = False) -> list[httpx.Response]:
    answers = []
    with Http(base_url=url, timeout=15) as http:
        for path in ("/api/v1/orders", "/api/v1/customers"):
            for value in [*almost(INGEST), READ, HASH_KEY]:
                safe = value.replace("\x00", "")
                answers.append(
                    http.post(path, json={}, headers={"Authorization": f"Bearer {safe}"})
                )
            answers.append(http.post(path, json={}, headers={"Authorization": f"Basic {INGEST}"}))
            if in_url:  # a careless client; debug access logs show URLs, so not there
                answers.append(http.post(f"{path}?token={INGEST}", json={}))
            # The right token with invalid bodies: errors must not repeat the header.
            auth = {"Authorization": f"Bearer {INGEST}"}
            answers.append(http.post(path, content=b"{nope", headers=auth))
            answers.append(http.post(path, json={"orderId": INGEST, "total": "x"}, headers=auth))
        answers.append(http.post("/api/v1/analytics/track", json={"eventType": INGEST}))
        answers.append(http.get("/healthz"))
    return answers


def provoke_api(url: str, in_url: bool = False) -> list[httpx.Response]:
    answers = []
    with Http(base_url=url, timeout=30) as http:
        for value in [*almost(READ), INGEST, HASH_KEY]:
            safe = value.replace("\x00", "")
            answers.append(http.get("/api/v1/funnel", headers={"Authorization": f"Bearer {safe}"}))
        auth = {"Authorization": f"Bearer {READ}"}
        answers.append(http.get("/api/v1/funnel", headers=auth))  # broken snapshot: a 500
        answers.append(http.get("/api/v1/metrics/daily?start=2026-02-30", headers=auth))
        if in_url:
            answers.append(http.get(f"/api/v1/funnel?token={READ}"))
            answers.append(http.get(f"/api/v1/metrics/daily?start={READ}", headers=auth))
            answers.append(http.get("/api/v1/breakdown/" + READ, headers=auth))
        answers.append(http.get("/healthz"))
        answers.append(http.get("/openapi.json"))
    return answers


RESETS: list[str] = []  # requests that got no answer (counted; the server must live on)


class Http(httpx.Client):
    """An httpx client whose requests that get no answer return None instead of raising."""

    def request(self, method: str, url: object, **kwargs: object) -> httpx.Response:  # type: ignore[override]
        try:
            return super().request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            RESETS.append(f"{method} {str(url)[:40]}: {type(exc).__name__}")
            return httpx.Response(599, request=httpx.Request(method, "http://x/"))


def leaks(text: str) -> list[str]:
    return [s for s in (*SECRETS, *FRAGMENTS) if s in text]


def files_containing_secrets(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(s.encode() in data for s in (*SECRETS, *FRAGMENTS)):
                found.append(str(path.relative_to(root)))
    return found


def test_secrets_never_in_answers_logs_or_data(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths, tmp_path: Path, figures: Figures
) -> None:
    # A snapshot without the sessions mart: the funnel query fails inside the API.
    data_dir.build.mkdir(parents=True)
    shutil.copyfile(built_warehouse.paths.build_db, data_dir.build_db)
    publish.publish_snapshot(
        data_dir, data_as_of=datetime.now(UTC), pipeline_runs=[], tables=["daily_metrics"]
    )
    shutil.rmtree(data_dir.build)
    env = footfall_env(
        data_dir.root,
        FOOTFALL_INGEST_TOKEN=INGEST,
        FOOTFALL_API_TOKEN=f"{READ},{ROTATED}",
        FOOTFALL_SECRET=HASH_KEY,
    )
    logs = {"collector": tmp_path / "collector.log", "api": tmp_path / "api.log"}
    with running("collect", env, logs["collector"], log_level="debug") as collector:
        answers = provoke_collector(collector.url)
        # One good order with an email: only its keyed hash may reach the lake.
        order = {
            "orderId": str(uuid.uuid4()),
            "customer": {"email": "ann@example.com", "type": "GUEST"},
            "total": "1.00",
            "orderStatus": "PENDING",
            "paymentStatus": "PAID",
            "createdAt": "2026-03-14T12:00:00Z",
        }
        good = httpx.post(
            collector.url + "/api/v1/orders",
            json=order,
            headers={"Authorization": f"Bearer {INGEST}"},
        )
        assert good.status_code == 200
    with running("api", env, logs["api"], log_level="debug") as api:
        answers += provoke_api(api.url)
        assert api.process.poll() is None, "the API died while being provoked"
    statuses = sorted({answer.status_code for answer in answers})
    assert 500 in statuses and 401 in statuses and 422 in statuses, statuses
    # Settings errors name the variable, never the value.
    bad = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "api"],
        env={**env, "FOOTFALL_API_TOKEN": "S3CR3T", "FOOTFALL_SECRET": "S3CR3T"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode != 0 and "FOOTFALL_API_TOKEN" in bad.stderr
    in_answers = [
        (answer.request.url.path, answer.status_code)
        for answer in answers
        if leaks(answer.text) or leaks(str(answer.headers))
    ]
    in_logs = {name: leaks(log.read_text(errors="replace")) for name, log in logs.items()}
    on_disk = files_containing_secrets(data_dir.root)
    figures.record(
        title="Secrets in answers, logs and files",
        did=f"collector and API run with known tokens and hash key at debug log level; "
        f"{len(answers)} provoking requests (almost-right tokens, tokens in query and body, "
        f"invalid bodies, a 500 with traceback; statuses {statuses}), a settings error; "
        "every answer, log and data file searched",
        lost=f"nothing: {len(in_answers)} answers, {sum(map(len, in_logs.values()))} log "
        f"matches, {len(on_disk)} files held a secret",
        statuses=statuses,
        requests=len(answers),
        unanswered=RESETS,
    )
    assert not in_answers, in_answers
    assert not any(in_logs.values()), in_logs
    assert "S3CR3T" not in bad.stderr + bad.stdout
    assert not on_disk, on_disk


def test_tokens_are_compared_in_constant_time(figures: Figures) -> None:
    checkers = {"api.deps.token_matches": deps.token_matches}
    source = inspect.getsource(ingest_app.create_app)
    start = source.index("    def authorized(")
    checkers["ingest.app.authorized"] = source[start : source.index("\n\n", start)]
    for name, checker in checkers.items():
        text = checker if isinstance(checker, str) else inspect.getsource(checker)
        tree = ast.parse(textwrap.dedent(text))
        assert "hmac.compare_digest" in text, name
        loops = [node for node in ast.walk(tree) if isinstance(node, ast.For)]
        assert loops, f"{name} must check every configured token"
        for loop in loops:
            exits = [n for n in ast.walk(loop) if isinstance(n, ast.Break | ast.Return)]
            assert not exits, f"{name} leaves the token loop early: timing tells which matched"
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                assert not names & {"token", "candidate", "given", "presented"}, (
                    f"{name} compares a token with {ast.unparse(node)}"
                )
    figures.record(
        title="Token comparison",
        did="source of both token checks (read API, collector) inspected: hmac.compare_digest "
        "over every configured token, no early exit, no == on a token",
        lost="nothing",
    )


def test_servers_log_no_token_at_default_level(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths, tmp_path: Path
) -> None:
    """The log level operators run with: no access log, so not even a token a careless
    client put in a URL or a body is logged, and no answer repeats it."""
    shutil.copytree(built_warehouse.paths.published, data_dir.published)
    env = footfall_env(
        data_dir.root,
        FOOTFALL_INGEST_TOKEN=INGEST,
        FOOTFALL_API_TOKEN=READ,
        FOOTFALL_SECRET=HASH_KEY,
    )
    logs = [tmp_path / "collector.log", tmp_path / "api.log"]
    with running("collect", env, logs[0]) as collector:
        answers = provoke_collector(collector.url, in_url=True)
    with running("api", env, logs[1]) as api:
        answers += provoke_api(api.url, in_url=True)
    assert not [a.request.url.path for a in answers if leaks(a.text) or leaks(str(a.headers))]
    for log in logs:
        assert log.stat().st_size > 0 and not leaks(log.read_text(errors="replace")), log
