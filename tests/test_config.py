"""Settings: defaults, ``[tool.hotreload]``, flags win; bad values name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotreload.cli import build_parser
from hotreload.config import CONFIG_KEYS, Settings, load_file, resolve
from hotreload.errors import ConfigError


def write_config(directory: Path, body: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text(f"[project]\nname = 'x'\n\n[tool.hotreload]\n{body}\n")
    return path


def flags_of(argv: list[str]) -> dict[str, object]:
    ns = build_parser().parse_args(argv)
    return {k: getattr(ns, k) for k in CONFIG_KEYS if hasattr(ns, k)}


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = resolve({}, config_path=tmp_path / "pyproject.toml")
    assert settings == Settings()
    assert settings.paths == (Path("."),)
    assert settings.debounce == pytest.approx(0.01)
    assert settings.reloader_options() == {
        "debounce": settings.debounce,
        "polling": False,
        "exclude": (),
        "cascade": False,
        "require": (),
        "follow_symlinks": False,
    }


def test_file_values_are_read_and_converted(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        'paths = ["src", "/abs"]\nexclude = ["*_test.py"]\ndebounce = 50\n'
        'polling = true\ncascade = true\nrequire = "setup"\nfollow_symlinks = true',
    )
    settings = resolve({}, config_path=path)
    # Relative paths are relative to the file, not to wherever the tool runs.
    assert settings.paths == (tmp_path / "src", Path("/abs"))
    assert settings.exclude == ("*_test.py",)
    assert settings.debounce == pytest.approx(0.05)  # milliseconds in the file
    assert settings.polling is True
    assert settings.cascade is True
    assert settings.require == ("setup",)
    assert settings.follow_symlinks is True


def test_flags_that_were_given_win(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, 'paths = ["src"]\ndebounce = 50\npolling = true\nexclude = ["a"]'
    )
    flags = flags_of(
        ["watch", "mods", "--debounce", "5", "--no-poll", "--exclude", "b"]
    )
    settings = resolve(flags, config_path=path)
    assert settings.paths == (Path("mods"),)
    assert settings.debounce == pytest.approx(0.005)
    assert settings.polling is False
    assert settings.exclude == ("b",)


def test_flags_not_given_leave_the_file_alone(tmp_path: Path) -> None:
    path = write_config(tmp_path, 'paths = ["src"]\ncascade = true')
    settings = resolve(flags_of(["watch"]), config_path=path)
    assert settings.paths == (tmp_path / "src",)
    assert settings.cascade is True
    assert settings.polling is False


def test_default_paths_only_when_nothing_names_any(tmp_path: Path) -> None:
    missing = tmp_path / "pyproject.toml"
    settings = resolve({}, config_path=missing, default_paths=[tmp_path])
    assert settings.paths == (tmp_path,)
    path = write_config(tmp_path, 'paths = ["src"]')
    settings = resolve({}, config_path=path, default_paths=[tmp_path])
    assert settings.paths == (tmp_path / "src",)


def test_a_file_without_the_table_gives_nothing(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n")
    assert load_file(path) == {}


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("pahts = ['src']", "pahts"),
        ("debounce = 'fast'", "debounce"),
        ("debounce = -1", "debounce"),
        ("debounce = true", "debounce"),
        ("polling = 'yes'", "polling"),
        ("cascade = 1", "cascade"),
        ("exclude = [1, 2]", "exclude"),
        ("paths = 3", "paths"),
        ("require = ['']", "require"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, body: str, key: str) -> None:
    path = write_config(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_file(path)
    assert info.value.key == key
    assert f": {key}: " in str(info.value)
    assert "\n" not in str(info.value)


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.hotreload\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_file(path)


def test_a_table_that_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool]\nhotreload = 3\n")
    with pytest.raises(ConfigError) as info:
        load_file(path)
    assert info.value.key == "tool.hotreload"


def test_bad_flag_value_is_a_config_error(tmp_path: Path) -> None:
    flags = flags_of(["watch", "--debounce", "-3"])
    with pytest.raises(ConfigError) as info:
        resolve(flags, config_path=tmp_path / "pyproject.toml")
    assert info.value.source == "command line"
    assert info.value.key == "debounce"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.polling = True  # type: ignore[misc]


def test_the_nearest_pyproject_at_or_above_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, 'paths = ["src"]\nexclude = ["gen/*"]')
    src = tmp_path / "src" / "pkg"
    src.mkdir(parents=True)
    monkeypatch.chdir(src)
    settings = resolve({})
    # Found two levels up; its paths are relative to its own directory.
    assert settings.paths == (tmp_path / "src",)
    assert settings.exclude == ("gen/*",)
    # A nearer pyproject.toml wins, even without a [tool.hotreload] table.
    (tmp_path / "src" / "pyproject.toml").write_text("[project]\nname = 'inner'\n")
    assert resolve({}) == Settings()
