from pathlib import Path

import pytest

from lurewatch.config import ConfigError, load_settings, load_sources, select_sources
from lurewatch.urls import UnsafeURLError, check_fetchable

SOURCES = """
sources:
  - name: board
    kind: jsonld
    start_urls: ["{base_url}/jobs/"]
    local_test: true
  - name: feed
    kind: rss
    start_urls: ["https://jobs.example.org/feed.xml"]
    country: MY
"""


def test_settings_from_file_and_environment(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "lw.yaml"
    config.write_text("store:\n  kind: opensearch\n  url: http://127.0.0.1:9999\n")
    monkeypatch.setenv("LUREWATCH_CONFIG", str(config))
    monkeypatch.setenv("LUREWATCH_STORE__BULK_BATCH_SIZE", "77")
    settings = load_settings()
    assert settings.store.kind == "opensearch"
    assert settings.store.url == "http://127.0.0.1:9999"
    assert settings.store.bulk_batch_size == 77


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("store:\n  kindd: sqlite\n", "store.kindd"),
        ("store:\n  kind: mongodb\n", "store.kind"),
        ("review:\n  port: 99999\n", "review.port"),
        ("store: [\n", "not valid YAML"),
        ("- just\n- a list\n", "mapping"),
    ],
)
def test_wrong_settings_name_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     content: str, named: str) -> None:
    config = tmp_path / "lw.yaml"
    config.write_text(content)
    monkeypatch.setenv("LUREWATCH_CONFIG", str(config))
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_settings()


def test_production_requires_secure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUREWATCH_ENVIRONMENT", "production")
    with pytest.raises(ConfigError, match="secure_cookies"):
        load_settings()
    monkeypatch.setenv("LUREWATCH_REVIEW__SECURE_COOKIES", "true")
    assert load_settings().review.secure_cookies


def test_missing_config_file_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUREWATCH_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_settings()


def test_sources_load_with_base_url_and_select(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES)
    sources = load_sources(path, base_url="http://127.0.0.1:8123")
    assert sources[0].start_urls == ["http://127.0.0.1:8123/jobs/"]
    assert [s.name for s in select_sources(sources, ["feed"])] == ["feed"]
    with pytest.raises(ConfigError, match="unknown source nope"):
        select_sources(sources, ["nope"])


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("sources:\n  - name: x\n    kind: ftp\n    start_urls: [http://a.example]\n",
         r"sources\.0\.kind"),
        ("sources:\n  - name: x\n    kind: rss\n    start_urls: [file:///etc/passwd]\n",
         r"sources\.0\.start_urls"),
        ("sources:\n  - name: x\n    kind: selectors\n    start_urls: [http://a.example]\n",
         "selectors"),
        ("sources:\n  - {name: x, kind: rss, start_urls: [http://a.example]}\n"
         "  - {name: x, kind: rss, start_urls: [http://b.example]}\n", "duplicated x"),
    ],
)
def test_wrong_sources_name_the_key(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=named):
        load_sources(path)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost:8080/x", "http://10.1.2.3/", "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "file:///etc/passwd",
    "http://0.0.0.0/",
])
def test_private_and_loopback_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        check_fetchable(url, allow_local=False)


@pytest.mark.parametrize("url", [
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://100.100.100.200/latest/meta-data/",  # a cloud's metadata service
    "http://198.18.0.1/",  # benchmarking
    "http://224.0.0.1/",  # multicast
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
    "http://[::ffff:10.0.0.1]/",  # IPv4-mapped
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[64:ff9b:1::5db8:d70e]/",  # NAT64 local-use prefix
])
def test_addresses_that_are_not_global_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="non-public"):
        check_fetchable(url, allow_local=False)


@pytest.mark.parametrize("url", [
    "http://[2002:5db8:d70e::]/",  # 6to4 of 93.184.215.14
    "http://[64:ff9b::5db8:d70e]/",  # NAT64 of 93.184.215.14
    "http://[2606:4700:4700::1111]/",
])
def test_ipv6_forms_of_public_addresses_are_allowed(url: str) -> None:
    check_fetchable(url, allow_local=False)


def test_local_test_sources_may_use_loopback() -> None:
    check_fetchable("http://127.0.0.1:8000/jobs", allow_local=True)
    with pytest.raises(UnsafeURLError):
        check_fetchable("file:///etc/passwd", allow_local=True)


def test_public_literal_address_is_allowed() -> None:
    check_fetchable("http://93.184.215.14/jobs", allow_local=False)
