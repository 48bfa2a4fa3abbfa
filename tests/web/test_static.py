"""The client's files as a tablet on a busy Wi-Fi loads them: compressed, and a reload
that finds nothing changed costs a bodiless 304 per file."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from phonghop.app import CLIENT_DIR
from phonghop.web.static import ClientFiles

SCRIPT = "/shared/live.js"


def raw_get(client: TestClient, path: str, **headers: str) -> tuple[Any, bytes]:
    """A GET whose body is left as sent (httpx would decode gzip and hide it)."""
    with client.stream("GET", path, headers=headers) as response:
        body = b"".join(response.iter_raw())
    return response, body


def test_scripts_and_styles_go_out_compressed_and_revalidate_to_304(client: TestClient) -> None:
    source = (CLIENT_DIR / SCRIPT.lstrip("/")).read_bytes()
    response, body = raw_get(client, SCRIPT, **{"accept-encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"  # always asks, so updates show at once
    assert response.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == source
    assert len(body) < len(source) / 2
    etag, modified = response.headers["etag"], response.headers["last-modified"]

    again, body = raw_get(client, SCRIPT, **{"accept-encoding": "gzip", "if-none-match": etag})
    assert again.status_code == 304 and body == b""
    assert again.headers["etag"] == etag
    by_date, body = raw_get(client, SCRIPT, **{"accept-encoding": "gzip", "if-modified-since": modified})
    assert by_date.status_code == 304 and body == b""

    css, body = raw_get(client, "/tablet/tablet.css", **{"accept-encoding": "gzip"})
    assert css.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == (CLIENT_DIR / "tablet" / "tablet.css").read_bytes()


def test_a_client_without_gzip_gets_the_plain_file_under_its_own_tag(client: TestClient) -> None:
    source = (CLIENT_DIR / SCRIPT.lstrip("/")).read_bytes()
    zipped, _ = raw_get(client, SCRIPT, **{"accept-encoding": "gzip"})
    plain, body = raw_get(client, SCRIPT, **{"accept-encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert body == source
    assert plain.headers["etag"] != zipped.headers["etag"]  # two bodies, two tags
    refused, body = raw_get(client, SCRIPT, **{"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers and body == source
    # The compressed body's tag does not validate the plain one, and the other way round.
    cross, _ = raw_get(
        client, SCRIPT, **{"accept-encoding": "identity", "if-none-match": zipped.headers["etag"]}
    )
    assert cross.status_code == 200


def test_a_changed_file_is_compressed_again(tmp_path: Path) -> None:
    (tmp_path / "app.js").write_text("console.log('one');\n" * 100, encoding="utf-8")
    client = TestClient(ClientFiles(directory=tmp_path))  # the bare files app: no lifespan
    first, body = raw_get(client, "/app.js", **{"accept-encoding": "gzip"})
    assert gzip.decompress(body).startswith(b"console.log('one')")
    (tmp_path / "app.js").write_text("console.log('two');\n" * 120, encoding="utf-8")
    second, body = raw_get(
        client, "/app.js", **{"accept-encoding": "gzip", "if-none-match": first.headers["etag"]}
    )
    assert second.status_code == 200
    assert gzip.decompress(body).startswith(b"console.log('two')")
