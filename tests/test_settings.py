"""Settings: a bad file stops Roost with the file and key named; secrets never echo."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, load_settings

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roost.toml"
    path.write_text(text)
    return path


def test_the_documented_example_loads() -> None:
    settings = load_settings(EXAMPLE, {})
    assert settings.community.name == "Acme Talent Community"
    assert settings.roles.hr == ("console:hr",)
    assert settings.console_enabled()


def test_no_file_means_defaults_and_roost_config_names_one(tmp_path: Path) -> None:
    assert load_settings(None, {}).web.port == 8080
    path = write(tmp_path, "[web]\nport = 9000\n")
    assert load_settings(None, {"ROOST_CONFIG": str(path)}).web.port == 9000


def test_settings_are_frozen() -> None:
    settings = load_settings(None, {})
    with pytest.raises(Exception, match="frozen"):
        settings.web.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[web]\nport = 'eighty'\n", "roost.toml: [web] web.port: input should be a valid integer"),
        ("[web]\nport = 70000\n", "web.port: input should be less than or equal to 65535"),
        ("[web]\nprot = 80\n", "web.prot: unknown setting"),
        ("[roles]\nhr = 'console:hr'\n", "roles.hr: input should be a valid tuple"),
        ("[console]\nenabled = 'sometimes'\n", "console.enabled"),
        (
            "[onboarding]\nfunctions = ['only-one']\n",
            "onboarding.functions: tuple should have at least 2",
        ),
        ("[web\nport = 1\n", "roost.toml: not valid TOML"),
    ],
)
def test_a_bad_file_names_the_file_the_key_and_what_was_expected(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), {})
    assert expected in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: no such file"):
        load_settings(tmp_path / "nowhere.toml", {})


def test_secrets_come_from_the_environment_and_never_appear_in_errors(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://roost:s3cr3t-pw@db/roost"
    settings = load_settings(None, {"ROOST_DATABASE_URL": url})
    assert settings.database.url.get_secret_value() == url
    assert "s3cr3t-pw" not in repr(settings) and "s3cr3t-pw" not in str(settings.model_dump())

    bad = write(tmp_path, "[database]\nurl = 'x'\necho = 'hunter2-not-a-bool'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(bad, {"ROOST_DATABASE_URL": url})
    assert "database.echo" in str(caught.value)
    assert "hunter2" not in str(caught.value) and "s3cr3t-pw" not in str(caught.value)


def test_tokens_are_refused_in_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[telegram]\ntoken = '123:abc'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert "[telegram] token: set $ROOST_TELEGRAM_TOKEN instead of the file" in str(caught.value)
    assert "123:abc" not in str(caught.value)


def test_a_telegram_token_starts_telegram_and_webhooks_need_a_secret(tmp_path: Path) -> None:
    settings = load_settings(None, {"ROOST_TELEGRAM_TOKEN": "1:x"})
    assert settings.platforms_configured() == ("telegram",) and not settings.console_enabled()
    path = write(tmp_path, "[telegram]\nmode = 'webhook'\n")
    with pytest.raises(ConfigError, match="needs \\$ROOST_TELEGRAM_WEBHOOK_SECRET"):
        load_settings(path, {"ROOST_TELEGRAM_TOKEN": "1:x"})


def test_slack_modes_need_their_secrets(tmp_path: Path) -> None:
    env = {"ROOST_SLACK_BOT_TOKEN": "xoxb-1"}
    with pytest.raises(ConfigError, match="socket' needs \\$ROOST_SLACK_APP_TOKEN"):
        load_settings(None, env)
    http = write(tmp_path, "[slack]\nmode = 'http'\n")
    with pytest.raises(ConfigError, match="http' needs \\$ROOST_SLACK_SIGNING_SECRET"):
        load_settings(http, env)
    settings = load_settings(None, {**env, "ROOST_SLACK_APP_TOKEN": "xapp-1"})
    assert settings.platforms_configured() == ("slack",)


def test_discord_needs_its_server(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="guild_id is needed"):
        load_settings(None, {"ROOST_DISCORD_TOKEN": "t"})
    path = write(tmp_path, "[discord]\nguild_id = 42\n")
    assert load_settings(path, {"ROOST_DISCORD_TOKEN": "t"}).platforms_configured() == ("discord",)


@pytest.mark.parametrize(
    ("file", "secret", "expected"),
    [
        (
            "[web]\npublic_url = 'http://roost.example'\n",
            "s3cret",
            r"\[web\] public_url: .* https://",
        ),
        (
            "[web]\npublic_url = 'https://roost.example'\nenabled = false\n",
            "s3cret",
            "enabled = true",
        ),
        ("[web]\npublic_url = 'https://roost.example'\n", "not secret!", "A-Z, a-z, 0-9, _ and -"),
        ("[web]\npublic_url = 'https://roost.example'\n", "x" * 257, "1 to 256 characters"),
        (
            "[web]\npublic_url = 'https://roost.example:8080'\n",
            "s3cret",
            "only to ports 80, 88, 443 or 8443, not 8080",
        ),
    ],
)
def test_a_telegram_webhook_roost_could_not_register_stops_it_at_start(
    tmp_path: Path, file: str, secret: str, expected: str
) -> None:
    path = write(tmp_path, "[telegram]\nmode = 'webhook'\n" + file)
    env = {"ROOST_TELEGRAM_TOKEN": "1:x", "ROOST_TELEGRAM_WEBHOOK_SECRET": secret}
    with pytest.raises(ConfigError, match=expected) as caught:
        load_settings(path, env)
    assert str(caught.value).startswith(f"{path}:") and secret not in str(caught.value)
    good = write(
        tmp_path, "[telegram]\nmode = 'webhook'\n[web]\npublic_url = 'https://r.example'\n"
    )
    assert load_settings(good, {**env, "ROOST_TELEGRAM_WEBHOOK_SECRET": "A-z_09"}).telegram.mode
